using NasActors.Cluster.Searches;
using NasActors.Cluster.Tests.Transport;
using NasActors.Node.Commands.Input;
using NasActors.Node.Commands.Nodes;

namespace NasActors.Node.Tests;

/// <summary>
/// <c>nas submit/status/pause</c> against a node that is not at the client's default address: another loopback address
/// and port, with and without TLS (stub backend: no tensors).
/// </summary>
public sealed class RemoteControlSpec : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("nas-remote-control-").FullName;
    private string _spec = "";

    public Task InitializeAsync()
    {
        // No evaluators on the node: the search stays running until it is paused.
        _spec = Path.Combine(_folder, "remote.conf");
        File.WriteAllText(_spec, """
            search {
              name = remote
              space = fmnist-mbconv
              dataset = none
              budget = 4
              controller { name = random }
              evaluation { kind = stub }
            }
            """);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    /// <summary>A node on 127.0.0.2 and a free port; <paramref name="files"/> and <paramref name="overrides"/> on top.</summary>
    private Task<InProcessNode> StartNode(string name, string[] files, params string[] overrides) =>
        InProcessNode.StartAsync(Path.Combine(_folder, name), files,
        [
            "nas.backend = stub", "nas.hostname = \"127.0.0.2\"", "nas.port = 0", "nas.evaluators = 0",
            "nas.pbm.enabled = off", "nas.dashboard.enabled = off", .. overrides,
        ], CancellationToken.None);

    private static async Task<(int Code, string Error)> Nas(params string[] args)
    {
        var error = new StringWriter();
        var code = await NasApp.RunAsync(args, error);
        return (code, error.ToString());
    }

    private static async Task<string> StatusOf(InProcessNode node, string id) =>
        Assert.IsType<SearchReplies.SearchStatus>(await node.AskAsync(new SearchQueries.GetSearchStatus(id), TimeSpan.FromSeconds(30))).Status;

    [Fact]
    public async Task A_search_is_submitted_listed_and_paused_on_a_node_at_another_address_and_port()
    {
        await using var node = await StartNode("plain", []);
        Assert.StartsWith("127.0.0.2:", node.Endpoint);

        Assert.Equal((0, ""), await Nas("submit", _spec, "--id", "remote-1", "--node", node.Endpoint));
        Assert.Equal((0, ""), await Nas("status", "--node", node.Endpoint, "--json"));
        Assert.Equal((0, ""), await Nas("pause", "remote-1", "--node", node.Endpoint));

        Assert.Equal(SearchStatusNames.Paused, await StatusOf(node, "remote-1"));
    }

    [Fact]
    public async Task A_node_with_TLS_is_controlled_with_the_cluster_certificate_and_refuses_a_client_without_it()
    {
        var certificate = TestCertificates.CreatePfx(_folder, "cluster", "pw");
        var other = TestCertificates.CreatePfx(_folder, "other", "pw");
        string[] Tls(string pfx) =>
            ["--config", "tls", "--set", $"akka.remote.dot-netty.tcp.ssl.certificate.path = \"{pfx}\"",
             "--set", "akka.remote.dot-netty.tcp.ssl.certificate.password = pw"];
        await using var node = await StartNode("tls", ["tls.conf"],
            $"akka.remote.dot-netty.tcp.ssl.certificate.path = \"{certificate}\"", "akka.remote.dot-netty.tcp.ssl.certificate.password = pw");

        Assert.Equal((0, ""), await Nas(["submit", _spec, "--id", "tls-1", "--node", node.Endpoint, .. Tls(certificate)]));
        Assert.Equal((0, ""), await Nas(["pause", "tls-1", "--node", node.Endpoint, .. Tls(certificate)]));
        Assert.Equal(SearchStatusNames.Paused, await StatusOf(node, "tls-1"));

        // Plain TCP to a TLS port, and TLS with a certificate the node does not trust: no answer, exit code 3.
        var plain = await Nas("status", "--node", node.Endpoint, "--timeout", "3");
        Assert.Equal(ExitCodes.Unreachable, plain.Code);
        Assert.Contains($"no answer from a node at {node.Endpoint}", plain.Error);
        Assert.Equal(ExitCodes.Unreachable, (await Nas(["status", "--node", node.Endpoint, "--timeout", "3", .. Tls(other)])).Code);
    }

    [Fact]
    public async Task A_method_study_runs_its_parts_through_a_TLS_node_with_the_cluster_certificate()
    {
        var certificate = TestCertificates.CreatePfx(_folder, "cluster", "pw");
        string[] tls = ["--config", "tls", "--set", $"akka.remote.dot-netty.tcp.ssl.certificate.path = \"{certificate}\"",
            "--set", "akka.remote.dot-netty.tcp.ssl.certificate.password = pw"];
        await using var node = await StartNode("study", ["tls.conf"],
            $"akka.remote.dot-netty.tcp.ssl.certificate.path = \"{certificate}\"", "akka.remote.dot-netty.tcp.ssl.certificate.password = pw");

        // No evaluators: the parts stay pending, and the time limit ends the wait before any result (exit 1, said so).
        var (code, error) = await Nas(["rank-study", "--node", node.Endpoint, "--name", "tls-study", "-o", Path.Combine(_folder, "study"),
            "--time-limit", "2", "--json", .. tls]);
        Assert.Equal((ExitCodes.Failed, "nas: The study has no stand-alone result yet (time limit?): no report."), (code, error.Trim()));

        // Submitted over TLS: the node knows the reference's first part.
        Assert.Equal("tls-study-standalone-s1", Assert.IsType<SearchReplies.SearchStatus>(
            await node.AskAsync(new SearchQueries.GetSearchStatus("tls-study-standalone-s1"), TimeSpan.FromSeconds(30))).SearchId);
    }

    [Fact]
    public async Task A_method_study_with_a_client_TLS_setting_that_cannot_work_is_bad_input_naming_the_key()
    {
        var (code, error) = await Nas("rank-study", "--node", "127.0.0.2:4053", "-o", Path.Combine(_folder, "bad-study"), "--config", "tls",
            "--set", $"akka.remote.dot-netty.tcp.ssl.certificate.path = \"{Path.Combine(_folder, "missing.pfx")}\"");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("akka.remote.dot-netty.tcp.ssl.certificate.path", error);
    }

    [Fact]
    public async Task A_client_TLS_setting_that_cannot_work_is_bad_input_naming_the_key()
    {
        var (code, error) = await Nas("status", "--node", "127.0.0.2:4053", "--config", "tls",
            "--set", $"akka.remote.dot-netty.tcp.ssl.certificate.path = \"{Path.Combine(_folder, "missing.pfx")}\"");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("akka.remote.dot-netty.tcp.ssl.certificate.path", error);
    }
}
