using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Specs;
using Xunit.Abstractions;

namespace NasActors.Integration.Tests.Dashboard;

/// <summary>The dashboard specs share one node (and one browser) and run one after the other.</summary>
[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardNode>
{
    public const string Name = "dashboard";
}

/// <summary>
/// One `nas node` (stub backend) with its dashboard on a loopback port and a token, a remoting client to submit searches,
/// an HTTP client, and a headless Debian chromium driven by Playwright; shared by the dashboard specs.
/// </summary>
public sealed partial class DashboardNode : IAsyncLifetime
{
    public const string Token = "dashboard-test-token";
    public const string NodeName = "dashboard-node";

    private readonly LogBuffer _log = new();
    private IPlaywright? _playwright;

    public TestCluster Cluster { get; }
    public NodeProcess Node { get; private set; } = null!;
    public Uri Address { get; private set; } = null!;
    public string Pbm { get; private set; } = "";
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };
    public IBrowser Browser { get; private set; } = null!;

    public DashboardNode() => Cluster = new TestCluster(_log, Directory.CreateTempSubdirectory("nas-dashboard-").FullName);

    [GeneratedRegex(@"dashboard at (http://\S+)")]
    private static partial Regex DashboardLine();

    public async Task InitializeAsync()
    {
        var port = NodeProcess.FreePort();
        Cluster.SeedPorts.Add(port);
        // Supernet steps and evaluations take a little time, so that a page sees a search move.
        Node = Cluster.Start(NodeName, port, NasRoles.All.ToArray(), evaluators: 2, postgres: false,
            "nas.stub-step-cost = 50ms", "nas.dashboard.enabled = on", "nas.dashboard.port = 0", $"nas.dashboard.token = {Token}");
        await Node.WaitForOutputAsync("dashboard at http://", TimeSpan.FromSeconds(120));
        Address = new Uri(DashboardLine().Match(Node.Output).Groups[1].Value);
        Pbm = await PbmCli.EndpointAsync(Node);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true });
    }

    /// <summary>Debian's chromium (installed by .ci/run): Playwright's own browser download is not used.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("NAS_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    /// <summary>A search of <paramref name="budget"/> stub evaluations of <paramref name="cost"/> each, after a stub FairNAS supernet of 40 steps.</summary>
    public static SearchSpec Spec(int budget, string cost) => SpecReader.ReadText($$"""
        search {
          name = dashboard-test
          space = fmnist-mbconv
          dataset = fmnist-embedded
          seed = 3
          budget = {{budget}}
          controller { name = evolution, settings { population = 12, mutation_children = 6, crossover_children = 3, generations = 1000 } }
          training { method = fairnas, steps = 40, checkpoint-every = 10 }
          evaluation { kind = torch, stub-cost = {{cost}} }
        }
        """);

    /// <summary>A derived search with a differentiable method: the stub trainer exports a distribution with every checkpoint
    /// (sharpening with the step) over <paramref name="steps"/> steps of 50 ms, then the stub evaluates the derived architectures.</summary>
    public static SearchSpec DifferentiableSpec(string method, int steps, int checkpointEvery) => SpecReader.ReadText($$"""
        search {
          name = dashboard-probabilities
          space = fmnist-mbconv
          dataset = fmnist-embedded
          seed = 4
          budget = 6
          controller { name = derived, settings { batch = 3 } }
          training { method = {{method}}, steps = {{steps}}, checkpoint-every = {{checkpointEvery}} }
          evaluation { kind = torch, stub-cost = 100ms }
        }
        """);

    public Task SubmitAsync(string id, SearchSpec spec) => Cluster.SubmitAsync(Node, id, spec);

    /// <summary>A page of the dashboard, the token passed once (the page keeps it in a cookie).</summary>
    public async Task<IPage> OpenAsync(string hash = "")
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(60_000);
        await page.GotoAsync($"{Address}?token={Token}{hash}");
        return page;
    }

    public HttpRequestMessage Request(HttpMethod method, string path, string? token = Token, string? body = null)
    {
        var r = new HttpRequestMessage(method, new Uri(Address, path));
        if (token is not null) r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) r.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return r;
    }

    /// <summary>`pbm nas show -s id`: what an operator sees of the search, independent of the dashboard.</summary>
    public async Task<string> PbmShowAsync(string id) => (await PbmCli.RunAsync(Pbm, "nas", "show", "-s", id)).Output;

    public string Output => _log.ToString() + Cluster.Outputs();

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        Http.Dispose();
        Cluster.Dispose();
        try { Directory.Delete(Cluster.Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private sealed class LogBuffer : ITestOutputHelper
    {
        private readonly StringBuilder _text = new();
        public void WriteLine(string message) { lock (_text) _text.AppendLine(message); }
        public void WriteLine(string format, params object[] args) => WriteLine(string.Format(format, args));
        public override string ToString() { lock (_text) return _text.ToString(); }
    }
}
