using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using NasActors.Pbm.Host;
using NasActors.Pbm.Tests.Support;

namespace NasActors.Pbm.Tests;

/// <summary>Bad input gives a non-zero exit code and one line that says why; the host goes on serving.</summary>
public sealed class BadInputSpec : IAsyncLifetime
{
    private readonly ClusterNodes _nodes = new();
    private string _pbm = "";

    public async Task InitializeAsync()
    {
        var a = _nodes.Start("controller");
        await ClusterNodes.AllUpAsync(a, 1);
        _pbm = ClusterNodes.Pbm(a);
    }

    public async Task DisposeAsync() => await _nodes.DisposeAsync();

    private static void OneLine(PbmResult r, int code, string contains)
    {
        Assert.True(r.ExitCode == code, r.ToString());
        var lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, r.ToString());
        Assert.StartsWith("pbm: ", lines[0]);
        Assert.Contains(contains, lines[0]);
    }

    [Fact]
    public async Task Unknown_palette_is_refused_with_a_reason() =>
        OneLine(await PbmCli.RunAsync(_pbm, "clstr", "show"), 2, "unknown palette 'clstr' (known: actor, log, cluster, cluster-sharding)");

    [Fact]
    public async Task Unknown_command_is_refused_with_a_reason() =>
        OneLine(await PbmCli.RunAsync(_pbm, "cluster", "explode"), 2, "unknown command 'explode' in palette 'cluster'");

    [Fact]
    public async Task Missing_mandatory_switch_is_refused_with_a_reason() =>
        OneLine(await PbmCli.RunAsync(_pbm, "cluster", "down"), 2, "cluster down: missing mandatory switch -a|--address <address>");

    [Fact]
    public async Task Unknown_switch_and_missing_value_are_refused()
    {
        OneLine(await PbmCli.RunAsync(_pbm, "cluster", "down", "-x", "1"), 2, "unknown switch '-x'");
        OneLine(await PbmCli.RunAsync(_pbm, "cluster", "down", "-a"), 2, "switch '-a' needs a value");
    }

    [Fact]
    public async Task Malformed_address_is_refused_with_a_reason()
    {
        OneLine(await PbmCli.RunAsync("127.0.0.1:notaport", "cluster", "show"), 2, "malformed address '127.0.0.1:notaport'");
        OneLine(await PbmCli.RunAsync("127.0.0.1:70000", "cluster", "show"), 2, "port must be 1-65535");
        OneLine(await PbmCli.RunAsync(_pbm, "cluster", "down", "-a", "not an address"), 1, "malformed address 'not an address'");
        OneLine(await PbmCli.RunAsync(_pbm, "cluster", "down", "-a", "akka.tcp://nas@127.0.0.1:1"), 1, "no member at akka.tcp://nas@127.0.0.1:1");
    }

    [Fact]
    public async Task Unreachable_host_exits_with_a_reason()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; } // now closed
        OneLine(await PbmCli.RunAsync($"127.0.0.1:{port}", "cluster", "show"), 3, $"cannot connect to 127.0.0.1:{port}");
    }

    [Fact]
    public async Task A_host_that_is_not_pbm_is_reported()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var accept = silent.AcceptTcpClientAsync();
        var run = PbmCli.RunAsync($"127.0.0.1:{port}", "cluster", "show");
        using (var c = await accept) c.Client.Send("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray());
        OneLine(await run, 3, "is not a pbm host");
    }

    [Fact]
    public void Non_loopback_bind_without_token_is_refused()
    {
        var settings = CommandHostSettings.From(ConfigurationFactory.ParseString("nas.pbm { host = 0.0.0.0, port = 0 }"));
        var e = Assert.Throws<ConfigurationException>(() => settings.BindAddress());
        Assert.Contains("nas.pbm.token", e.Message);

        using var system = ActorSystem.Create("nas", ConfigurationFactory.ParseString("nas.pbm { host = 0.0.0.0, port = 0 }"));
        var host = CommandHost.Get(system);
        Assert.Null(host.Endpoint);
        Assert.Contains("is not a loopback address", host.Failure);
    }

    [Fact]
    public async Task A_host_with_a_token_refuses_clients_without_it()
    {
        using var system = ActorSystem.Create("nas", ConfigurationFactory.ParseString("nas.pbm { host = 0.0.0.0, port = 0, token = s3cret }"));
        var endpoint = $"127.0.0.1:{CommandHost.Get(system).Endpoint!.Port}";
        OneLine(await PbmCli.RunAsync(endpoint, "actor", "system"), 3, "requires a token");
        OneLine(await PbmCli.RunAsync("--token", "wrong", endpoint, "actor", "system"), 3, "wrong token");
        var ok = await PbmCli.RunAsync("--token", "s3cret", endpoint, "actor", "system");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal(((ExtendedActorSystem)system).Provider.DefaultAddress.ToString(), ok.Lines.Single());
    }

    [Fact]
    public async Task Actor_and_log_palettes_answer()
    {
        var hierarchy = await PbmCli.RunAsync(_pbm, "actor", "hierarchy", "-d", "1");
        Assert.True(hierarchy.ExitCode == 0, hierarchy.ToString());
        Assert.Contains(hierarchy.Lines, l => l.EndsWith("/system/cluster", StringComparison.Ordinal));
        Assert.All(hierarchy.Lines, l => Assert.StartsWith("akka.tcp://nas@127.0.0.1:", l));
        var below = await PbmCli.RunAsync(_pbm, "actor", "hierarchy", "-s", "/system/cluster");
        Assert.Contains(below.Lines, l => l.EndsWith("/system/cluster/core/daemon", StringComparison.Ordinal));
        OneLine(await PbmCli.RunAsync(_pbm, "actor", "hierarchy", "-s", "/nowhere"), 1, "--start must be /user, /system");
        OneLine(await PbmCli.RunAsync(_pbm, "actor", "hierarchy", "-d", "x"), 1, "--depth must be a whole number");

        var marker = $"log-peek-marker-{Guid.NewGuid():N}";
        _nodes.Systems[0].Log.Info(marker);
        var peek = await Eventually.ReturnsAsync(() => PbmCli.RunAsync(_pbm, "log", "peek", "-n", "5"),
            r => r.ExitCode == 0 && r.Lines.Any(l => l.EndsWith(marker, StringComparison.Ordinal)), "log peek shows the line just logged");
        Assert.InRange(peek.Lines.Length, 1, 5);
        Assert.Contains("[INFO]", peek.Lines.Single(l => l.EndsWith(marker, StringComparison.Ordinal)));

        // The buffer listens from the moment the host starts, so it has the node's own joining (logged right after).
        var all = await PbmCli.RunAsync(_pbm, "log", "peek", "-n", "1000");
        Assert.Contains(all.Lines, l => l.Contains("is JOINING itself", StringComparison.Ordinal));
    }
}
