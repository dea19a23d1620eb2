using System.Text.RegularExpressions;
using Microsoft.Playwright;
using NasActors.Cluster.Searches;
using Xunit.Abstractions;

namespace NasActors.Integration.Tests.Dashboard;

/// <summary>
/// Issue 17, the dashboard in a real headless browser (Debian's chromium through Playwright) against a `nas node` that
/// runs stub searches: the cluster, a search's progress moving without a reload, the plots and the top-k, and pause and
/// resume pressed on the page, checked through pbm.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardBrowserSpec(DashboardNode dashboard, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<string> _searches = new();

    private async Task<string> SubmitAsync(string name, int budget, string cost)
    {
        var id = $"{name}-{Guid.NewGuid():N}"[..24];
        await dashboard.SubmitAsync(id, DashboardNode.Spec(budget, cost));
        _searches.Add(id);
        return id;
    }

    private static async Task<int> EvaluatedOnPageAsync(IPage page)
    {
        var text = await page.Locator("#progress-text").TextContentAsync();
        return int.Parse(Regex.Match(text ?? "", @"^(\d+) /").Groups[1].Value);
    }

    [Fact]
    public async Task Must_show_the_cluster_members_evaluators_and_the_searches()
    {
        var id = await SubmitAsync("cluster", 400, "200ms");
        var page = await dashboard.OpenAsync();
        var member = page.Locator("#members tbody tr", new() { HasText = $"127.0.0.1:{dashboard.Node.Port}" });
        await Assertions.Expect(member).ToContainTextAsync("up");
        await Assertions.Expect(member).ToContainTextAsync("controller, evaluator, trainer");
        await Assertions.Expect(member).ToContainTextAsync("leader");
        await Assertions.Expect(page.Locator("#evaluators tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator($"#searches tr[data-search='{id}']")).ToContainTextAsync("fmnist-mbconv");
        await Assertions.Expect(page.Locator($"#searches tr[data-search='{id}']")).ToContainTextAsync("fairnas");
    }

    [Fact]
    public async Task Must_show_a_search_progress_increasing_live_without_a_reload()
    {
        var id = await SubmitAsync("live", 400, "200ms");
        await dashboard.Cluster.WaitForStatusAsync(dashboard.Node, id, s => s.Evaluated >= 2);
        var page = await dashboard.OpenAsync($"#/search/{id}");
        var navigations = 0;
        page.FrameNavigated += (_, f) => { if (f == page.MainFrame) navigations++; };
        await Assertions.Expect(page.Locator("#progress-text")).ToHaveTextAsync(new Regex(@"^\d+ / 400$"));
        var first = await EvaluatedOnPageAsync(page);
        // Pushed by the server (server-sent events): the number grows while nothing reloads the page.
        await page.WaitForFunctionAsync($"() => parseInt(document.getElementById('progress-text')?.textContent) >= {first + 5}");
        Assert.True(await EvaluatedOnPageAsync(page) >= first + 5);
        Assert.Equal(0, navigations);
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live");
    }

    [Fact]
    public async Task Must_draw_the_plots_and_the_top_k_of_a_search()
    {
        var id = await SubmitAsync("plots", 400, "100ms");
        await dashboard.Cluster.WaitForStatusAsync(dashboard.Node, id, s => s.Evaluated >= 20);
        var page = await dashboard.OpenAsync($"#/search/{id}");
        foreach (var plot in new[] { "#plot-evaluations", "#plot-time", "#plot-pareto" })
            await page.WaitForFunctionAsync($"() => document.querySelectorAll('{plot} circle').length >= 20");
        await Assertions.Expect(page.Locator("#plot-evaluations path.line")).ToHaveCountAsync(1);   // best so far
        await Assertions.Expect(page.Locator("#plot-pareto path.line")).ToHaveCountAsync(1);        // the front
        await Assertions.Expect(page.Locator("#plot-supernet path.line")).ToHaveCountAsync(2);      // loss, accuracy
        var top = page.Locator("#topk tbody tr");
        await Assertions.Expect(top).ToHaveCountAsync(5); // the spec's top_k default
        await Assertions.Expect(top.First).ToContainTextAsync("mb-e");                            // the blocks
        // The first row is the best architecture the search has recorded.
        var results = await dashboard.Cluster.ResultsAsync(dashboard.Node, id);
        var firstRow = await top.First.Locator("td").Nth(1).TextContentAsync();
        Assert.Contains(results.Evaluations, e => e.Text == firstRow);
        if (Environment.GetEnvironmentVariable("NAS_SCREENSHOT_OUT") is { Length: > 0 } path)
        {
            await dashboard.Cluster.WaitForStatusAsync(dashboard.Node, id, s => s.Evaluated >= 120, TimeSpan.FromMinutes(3));
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#plot-evaluations circle').length >= 120");
            await page.ScreenshotAsync(new() { Path = path, FullPage = true });
            output.WriteLine($"screenshot: {path}");
        }
    }

    [Fact]
    public async Task Must_pause_and_resume_a_search_from_the_page()
    {
        var id = await SubmitAsync("pause", 1000, "200ms");
        await dashboard.Cluster.WaitForStatusAsync(dashboard.Node, id, s => s.Status == SearchStatusNames.Running && s.Evaluated >= 1);
        var page = await dashboard.OpenAsync($"#/search/{id}");
        await page.Locator("#pause").ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("paused");
        Assert.Contains("phase: paused", await dashboard.PbmShowAsync(id));
        await Assertions.Expect(page.Locator("#resume")).ToBeEnabledAsync();
        await page.Locator("#resume").ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("running");
        Assert.Contains("phase: running", await dashboard.PbmShowAsync(id));
        var events = await dashboard.Cluster.ReadJournalAsync(id, DashboardNode.NodeName);
        Assert.Single(events.OfType<SearchEvents.SearchPaused>());
        Assert.Single(events.OfType<SearchEvents.SearchResumed>());
    }

    [Fact]
    public async Task Must_show_each_layer_choice_probabilities_of_a_differentiable_method_updated_live()
    {
        var id = $"probs-{Guid.NewGuid():N}"[..24];
        var spec = DashboardNode.DifferentiableSpec("darts", steps: 400, checkpointEvery: 40);
        await dashboard.SubmitAsync(id, spec);
        _searches.Add(id);
        var page = await dashboard.OpenAsync($"#/search/{id}");
        var navigations = 0;
        page.FrameNavigated += (_, f) => { if (f == page.MainFrame) navigations++; };
        // One row per layer of fmnist-mbconv, one shaded cell per choice, the blocks' names in the header.
        await Assertions.Expect(page.Locator("#probabilities tbody tr")).ToHaveCountAsync(6);
        await Assertions.Expect(page.Locator("#probabilities tbody tr").First.Locator("td.cell")).ToHaveCountAsync(6);
        await Assertions.Expect(page.Locator("#probabilities thead")).ToContainTextAsync("mb-e");
        var first = long.Parse((await page.Locator("#probabilities-step").TextContentAsync())!);
        // Pushed, not reloaded: a later checkpoint's distribution replaces it on the open page.
        await page.WaitForFunctionAsync($"() => parseInt(document.getElementById('probabilities-step')?.textContent) > {first}");
        Assert.Equal(0, navigations);
        // What the page shows is the distribution the trainer journaled at that step (the stub's, a function of (seed, step)).
        var shown = await page.EvaluateAsync<double[][]>("() => [...document.querySelectorAll('#probabilities tbody tr')]" +
            ".map(r => [...r.querySelectorAll('td.cell')].map(c => parseFloat(c.dataset.p)))");
        var step = long.Parse((await page.Locator("#probabilities-step").TextContentAsync())!);
        var journaled = NasActors.Cluster.Training.StubTrainingBackend.Distribution(
            new NasActors.Cluster.Training.TrainingRequest(id, spec, "unused", null), step)!;
        Assert.Equal(journaled.Probabilities!.Count, shown.Length);
        for (var l = 0; l < shown.Length; l++)
        {
            Assert.Equal(journaled.Probabilities![l], shown[l], (a, b) => Math.Abs(a - b) < 1e-12);
            Assert.Equal(1.0, shown[l].Sum(), 9);
        }
        await Assertions.Expect(page.Locator("#probabilities-info")).ToContainTextAsync(journaled.Argmax!);
        // The argmax cell of each layer is marked.
        Assert.Equal(6, await page.Locator("#probabilities td.argmax").CountAsync());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Cancels the test's searches, so the next test's search gets the evaluators.</summary>
    public async Task DisposeAsync()
    {
        foreach (var id in _searches)
            await dashboard.Http.SendAsync(dashboard.Request(HttpMethod.Post, $"api/searches/{id}/cancel", body: "{\"reason\": \"test over\"}"));
        output.WriteLine(dashboard.Node.Output);
    }
}
