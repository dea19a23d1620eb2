using System.Net;
using System.Text.RegularExpressions;
using NasActors.Cluster.Searches;
using Xunit.Abstractions;

namespace NasActors.Integration.Tests.Dashboard;

/// <summary>
/// Issue 17, the dashboard's HTTP side against a real `nas node`: the token, bad requests (4xx with a message, never a
/// stack trace), /metrics in the OpenMetrics format, and the start-up checks of its settings.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardHttpSpec(DashboardNode dashboard, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("nas-dashboard-start-").FullName;
    private string? _search;

    private async Task<string> RunningSearchAsync()
    {
        var id = $"http-{Guid.NewGuid():N}"[..20];
        await dashboard.SubmitAsync(id, DashboardNode.Spec(1000, "200ms"));
        _search = id;
        await dashboard.Cluster.WaitForStatusAsync(dashboard.Node, id, s => s.Status == SearchStatusNames.Running && s.Evaluated >= 1);
        return id;
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpRequestMessage request)
    {
        using var response = await dashboard.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A 4xx answer with a one-line JSON error and nothing of a stack trace.</summary>
    private static string ClientError((HttpStatusCode Status, string Body) answer, HttpStatusCode expected)
    {
        Assert.Equal(expected, answer.Status);
        Assert.DoesNotContain("   at ", answer.Body);
        Assert.DoesNotContain("Exception", answer.Body);
        return Assert.IsType<string>(System.Text.Json.JsonDocument.Parse(answer.Body).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Must_answer_a_wrong_token_with_401_and_change_nothing()
    {
        var id = await RunningSearchAsync();
        Assert.Equal("wrong token", ClientError(await SendAsync(dashboard.Request(HttpMethod.Get, "api/searches", token: "not-the-token")), HttpStatusCode.Unauthorized));
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Get, "api/searches", token: null)), HttpStatusCode.Unauthorized);
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Get, "?token=not-the-token", token: null)), HttpStatusCode.Unauthorized);
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Post, $"api/searches/{id}/pause", token: "not-the-token", body: "{}")), HttpStatusCode.Unauthorized);
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Post, $"api/searches/{id}/cancel", token: "not-the-token", body: "{}")), HttpStatusCode.Unauthorized);

        Assert.Contains("phase: running", await dashboard.PbmShowAsync(id));
        var events = await dashboard.Cluster.ReadJournalAsync(id, DashboardNode.NodeName);
        Assert.DoesNotContain(events, e => e is SearchEvents.SearchPaused or SearchEvents.SearchCancelled);
        // The right token is let in.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(dashboard.Request(HttpMethod.Get, "api/searches"))).Status);
    }

    [Fact]
    public async Task Must_return_the_choice_probabilities_of_a_differentiable_search_only()
    {
        var id = $"probs-http-{Guid.NewGuid():N}"[..24];
        await dashboard.SubmitAsync(id, DashboardNode.DifferentiableSpec("fbnet", steps: 40, checkpointEvery: 10));
        await dashboard.Cluster.WaitForStatusAsync(dashboard.Node, id, s => s.Status == SearchStatusNames.Completed);
        var (status, body) = await SendAsync(dashboard.Request(HttpMethod.Get, $"api/searches/{id}"));
        Assert.Equal(HttpStatusCode.OK, status);
        var probabilities = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("choiceProbabilities");
        Assert.Equal(40, probabilities.GetProperty("step").GetInt64());
        Assert.True(probabilities.GetProperty("final").GetBoolean());
        var layers = probabilities.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(6, layers.Length);
        Assert.All(layers, l => Assert.Equal(1.0, l.GetProperty("probabilities").EnumerateArray().Sum(p => p.GetDouble()), 9));
        // Bad query values on such a search are refused too; a method without a distribution has none.
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Get, $"api/searches/{id}?k=-1")), HttpStatusCode.BadRequest);
        var fairnas = await RunningSearchAsync();
        var other = System.Text.Json.JsonDocument.Parse((await SendAsync(dashboard.Request(HttpMethod.Get, $"api/searches/{fairnas}"))).Body);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, other.RootElement.GetProperty("choiceProbabilities").ValueKind);
    }

    [Fact]
    public async Task Must_answer_bad_requests_with_4xx_and_a_message()
    {
        var id = await RunningSearchAsync();
        Assert.Equal("no such search: no-such-search",
            ClientError(await SendAsync(dashboard.Request(HttpMethod.Get, "api/searches/no-such-search")), HttpStatusCode.NotFound));
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Post, "api/searches/no-such-search/pause", body: "{}")), HttpStatusCode.NotFound);
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Get, "api/searches/no-such-search/export.json")), HttpStatusCode.NotFound);
        Assert.Contains("k must be a whole number in [1, 1000], got 'abc'",
            ClientError(await SendAsync(dashboard.Request(HttpMethod.Get, $"api/searches/{id}?k=abc")), HttpStatusCode.BadRequest));
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Get, $"api/searches/{id}?k=0")), HttpStatusCode.BadRequest);
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Get, $"api/searches/{id}?k=99999999999999")), HttpStatusCode.BadRequest);
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Get, $"api/searches/{id}/nonsense.svg")), HttpStatusCode.NotFound);
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Post, $"api/searches/{id}/explode", body: "{}")), HttpStatusCode.NotFound);
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Get, "api/nothing-here")), HttpStatusCode.NotFound);
        Assert.Contains("max-request-bytes", ClientError(await SendAsync(dashboard.Request(HttpMethod.Post, $"api/searches/{id}/cancel",
            body: "{\"reason\": \"" + new string('x', 64 * 1024) + "\"}")), HttpStatusCode.RequestEntityTooLarge));
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Post, $"api/searches/{id}/cancel", body: "{not json")), HttpStatusCode.BadRequest);
        ClientError(await SendAsync(dashboard.Request(HttpMethod.Post, $"api/searches/{id}/cancel", body: "{\"reason\": 5}")), HttpStatusCode.BadRequest);

        // None of them touched the search; none woke a population for the unknown id.
        Assert.Contains("phase: running", await dashboard.PbmShowAsync(id));
        var events = await dashboard.Cluster.ReadJournalAsync(id, DashboardNode.NodeName);
        Assert.DoesNotContain(events, e => e is SearchEvents.SearchCancelled);
        Assert.Empty(await dashboard.Cluster.ReadJournalAsync("no-such-search", DashboardNode.NodeName));
    }

    [Fact]
    public async Task Must_serve_metrics_in_the_OpenMetrics_format()
    {
        var id = await RunningSearchAsync();
        await dashboard.Cluster.WaitForStatusAsync(dashboard.Node, id, s => s.Evaluated >= 3);
        var request = dashboard.Request(HttpMethod.Get, "metrics");
        request.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");
        using var response = await dashboard.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/openmetrics-text", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("# EOF\n", text);
        var node = $"akka.tcp://nas@127.0.0.1:{dashboard.Node.Port}";
        var evaluated = Regex.Match(text, $"^nas_evaluations_total\\{{node=\"{Regex.Escape(node)}\",search=\"{id}\"\\}} (\\d+)$", RegexOptions.Multiline);
        Assert.True(evaluated.Success, text);
        Assert.True(int.Parse(evaluated.Groups[1].Value) >= 3);
        Assert.Matches($"(?m)^nas_evaluations_per_second\\{{node=\"{Regex.Escape(node)}\",search=\"{id}\"\\}} [0-9.]+$", text);
        Assert.Matches($"(?m)^nas_queue_depth\\{{node=\"{Regex.Escape(node)}\"\\}} \\d+$", text);
        Assert.Matches($"(?m)^nas_jobs_requeued_total\\{{node=\"{Regex.Escape(node)}\"\\}} \\d+$", text);
        Assert.Matches($"(?m)^nas_job_duration_seconds_count\\{{node=\"{Regex.Escape(node)}\",search=\"{id}\",outcome=\"succeeded\"\\}} [1-9]\\d*$", text);
        Assert.Matches($"(?m)^nas_trainer_images_per_second\\{{node=\"{Regex.Escape(node)}\",search=\"{id}\"\\}} ", text);
        Assert.Contains("# TYPE nas_journal_write_failures counter", text);
        // Every sample line is name{labels} value, every family typed.
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')))
            Assert.Matches(@"^[a-z_]+(\{[a-z_]+=""[^""]*""(,[a-z_]+=""[^""]*"")*\})? (\+Inf|-?[0-9.eE+-]+)$", line);
    }

    [Fact]
    public async Task Must_refuse_to_start_a_dashboard_on_a_non_loopback_address_without_a_token()
    {
        var folder = Path.Combine(_root, "exposed");
        using var node = new NodeProcess(folder, NodeProcess.FreePort(), "nas.dashboard.enabled = on", "nas.dashboard.host = 0.0.0.0");
        Assert.Equal(2, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var line = Assert.Single(node.Output.Split('\n'), l => l.StartsWith("nas: ", StringComparison.Ordinal));
        Assert.Equal("nas: nas.dashboard.host = 0.0.0.0 is not a loopback address: set nas.dashboard.token (a shared secret the browser sends) or bind to 127.0.0.1", line);
        Assert.False(File.Exists(Path.Combine(folder, "data", "journal.db"))); // nothing started, nothing written
    }

    [Fact]
    public async Task Must_refuse_to_start_a_node_whose_dashboard_port_is_taken()
    {
        using var node = new NodeProcess(Path.Combine(_root, "taken"), NodeProcess.FreePort(), "nas.dashboard.enabled = on",
            $"nas.dashboard.port = {dashboard.Address.Port}");
        Assert.Equal(2, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"nas: dashboard port {dashboard.Address.Port} on 127.0.0.1 is in use (nas.dashboard.port)", node.Output);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_search is not null)
            await dashboard.Http.SendAsync(dashboard.Request(HttpMethod.Post, $"api/searches/{_search}/cancel", body: "{}"));
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        output.WriteLine(dashboard.Node.Output);
    }
}
