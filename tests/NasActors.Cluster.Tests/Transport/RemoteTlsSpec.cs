using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Akka.Remote;
using NasActors.Cluster.Checkpoints;
using NasActors.Cluster.Transport;
using static NasActors.Cluster.Evaluation.EvaluationProtocol;

namespace NasActors.Cluster.Tests.Transport;

/// <summary>
/// Remoting over TLS on loopback with self-signed certificates the tests create. Nodes are actor systems in this
/// process; messages are NasSerializer messages (JSON), so a marker string in them is plain text on the wire unless
/// TLS encrypts it.
/// </summary>
/// <summary>The certificates of <see cref="RemoteTlsSpec"/>, made once: the cluster's and an intruder's.</summary>
public sealed class TlsTestCertificates : IDisposable
{
    public const string Password = "s3cret-test-password";
    public string Folder { get; } = Directory.CreateTempSubdirectory("nas-tls-tests-").FullName;
    public string Cluster { get; }
    public string Intruder { get; }

    public TlsTestCertificates()
    {
        Cluster = TestCertificates.CreatePfx(Folder, "cluster", Password);
        Intruder = TestCertificates.CreatePfx(Folder, "intruder", Password);
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

public sealed class RemoteTlsSpec(TlsTestCertificates certificates) : IAsyncLifetime, IClassFixture<TlsTestCertificates>
{
    private const string Password = TlsTestCertificates.Password;
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);
    /// <summary>How long a refused node is watched for (not) becoming a member after the refusal was seen.</summary>
    private static readonly TimeSpan Refused = TimeSpan.FromSeconds(3);

    private readonly string _folder = Directory.CreateTempSubdirectory("nas-tls-test-").FullName;
    private readonly List<ActorSystem> _systems = [];
    private readonly string _cluster = certificates.Cluster;
    private readonly string _other = certificates.Intruder;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await LoopbackNodes.StopAsync(_systems.ToArray());
        Directory.Delete(_folder, recursive: true);
    }

    private static Config Tls(string pfx, string password = Password) => ConfigurationFactory.ParseString($$"""
        akka.remote.dot-netty.tcp {
          enable-ssl = on
          ssl {
            certificate { path = "{{pfx}}", password = "{{password}}" }
            suppress-validation = off
            require-mutual-authentication = on
          }
        }
        """);

    private static Config Plain => ConfigurationFactory.Empty;

    private static Config RemoteOnly(int port, int publicPort) => ConfigurationFactory.ParseString(
        $"akka.actor.provider = remote\nakka.remote.dot-netty.tcp {{ port = {port}, public-port = {publicPort} }}");

    /// <summary>Starts a node the way a NasActors node does: TLS settings read (and checked) first, then the system.</summary>
    private ActorSystem Node(Config transport, Config? extra = null)
    {
        var config = (extra ?? ConfigurationFactory.Empty).WithFallback(transport).WithFallback(LoopbackNodes.ClusterConfig());
        var tls = RemoteTls.FromConfig(config, "test node");
        var system = tls is null
            ? LoopbackNodes.Start("nas", config)
            : LoopbackNodes.Start("nas", RemoteTls.Consumed.WithFallback(config), tls.Setup);
        _systems.Add(system);
        return system;
    }

    private static Address AddressOf(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress;

    /// <summary>Warnings and errors of the systems and remoting failures (association errors), as they are published.</summary>
    private static System.Threading.Channels.ChannelReader<object> Troubles(params ActorSystem[] systems)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<object>();
        foreach (var s in systems)
        {
            var (collector, messages) = LoopbackNodes.Collector(s);
            s.EventStream.Subscribe(collector, typeof(Warning));
            s.EventStream.Subscribe(collector, typeof(Error));
            s.EventStream.Subscribe(collector, typeof(AssociationErrorEvent));
            _ = Task.Run(async () =>
            {
                await foreach (var m in messages.ReadAllAsync()) channel.Writer.TryWrite(m);
            });
        }
        return channel.Reader;
    }

    private static string Marker() => $"MARKER-{Guid.NewGuid():N}";

    private static async Task<string> DeliverAsync(ActorSystem from, ActorSystem to, Address target)
    {
        var (collector, received) = LoopbackNodes.Collector(to, "collector");
        var marker = Marker();
        from.ActorSelection(new RootActorPath(target) / "user" / "collector").Tell(new RequestWork(marker));
        var got = await received.NextAsync<RequestWork>(Within);
        Assert.Equal(marker, got.Evaluator);
        to.Stop(collector);
        return marker;
    }

    [Fact]
    public async Task Two_nodes_with_the_cluster_certificate_form_a_cluster_over_tls_and_exchange_messages()
    {
        var a = Node(Tls(_cluster));
        var b = Node(Tls(_cluster));

        await LoopbackNodes.JoinAsync(a, b, Within);
        await DeliverAsync(b, a, AddressOf(a));
        await DeliverAsync(a, b, AddressOf(b));
    }

    [Fact]
    public async Task Checkpoints_are_fetched_between_nodes_over_tls()
    {
        var a = Node(Tls(_cluster), ConfigurationFactory.ParseString("akka.cluster.roles = [trainer]"));
        var b = Node(Tls(_cluster));
        var trainerFolder = Directory.CreateDirectory(Path.Combine(_folder, "trainer-checkpoints")).FullName;
        var bytes = System.Security.Cryptography.RandomNumberGenerator.GetBytes(150_000);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        await File.WriteAllBytesAsync(Path.Combine(trainerFolder, sha + ".nasckpt"), bytes);
        CheckpointDistribution.Start(a, trainerFolder);
        var fetcher = CheckpointDistribution.Start(b, Path.Combine(_folder, "evaluator-checkpoints"));
        await LoopbackNodes.JoinAsync(a, b, Within);

        var path = await fetcher.LocalPathAsync(new NasActors.Cluster.Evaluation.CheckpointRef(sha, "/elsewhere/" + sha + ".nasckpt", 1),
            CancellationToken.None).WaitAsync(Within);

        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
        Assert.StartsWith("akka.ssl.tcp", AddressOf(a).ToString());
    }

    [Fact]
    public async Task A_node_with_a_different_certificate_cannot_join()
    {
        var a = Node(Tls(_cluster));
        var b = Node(Tls(_other));
        var troubles = Troubles(a, b);
        var ca = Akka.Cluster.Cluster.Get(a);
        ca.Join(ca.SelfAddress);
        await LoopbackNodes.UpAsync(a).WaitAsync(Within);

        Akka.Cluster.Cluster.Get(b).Join(ca.SelfAddress);

        var refusal = await troubles.NextAsync<Warning>(Within);
        Assert.Contains("TLS: refused the certificate", refusal.Message.ToString());
        Assert.Contains("CN=nas-test-", refusal.Message.ToString());
        await Assert.ThrowsAsync<TimeoutException>(() => LoopbackNodes.UpAsync(b).WaitAsync(Refused));
        Assert.Single(ca.State.Members);
    }

    [Fact]
    public async Task A_node_without_tls_cannot_join_a_tls_cluster()
    {
        var a = Node(Tls(_cluster));
        var b = Node(Plain);
        var troubles = Troubles(a, b);
        var ca = Akka.Cluster.Cluster.Get(a);
        ca.Join(ca.SelfAddress);
        await LoopbackNodes.UpAsync(a).WaitAsync(Within);

        Akka.Cluster.Cluster.Get(b).Join(ca.SelfAddress);

        var trouble = await troubles.NextAsync<object>(Within); // the plain-text handshake is torn down
        Assert.NotNull(trouble);
        await Assert.ThrowsAsync<TimeoutException>(() => LoopbackNodes.UpAsync(b).WaitAsync(Refused));
        Assert.Single(ca.State.Members);
    }

    /// <summary>
    /// Node A listens on a fixed port behind a recording proxy and advertises the proxy's port, so everything node B
    /// sends to A crosses the proxy.
    /// </summary>
    private async Task<(string Marker, TcpRecordingProxy Proxy)> SendThroughProxyAsync(Func<Config> transport)
    {
        var port = FreePort();
        var proxy = new TcpRecordingProxy(port);
        var a = Node(transport(), RemoteOnly(port, proxy.Port));
        var b = Node(transport(), RemoteOnly(0, 0));
        var marker = await DeliverAsync(b, a, AddressOf(a));
        Assert.Equal(proxy.Port, AddressOf(a).Port);
        Assert.True(proxy.Connections >= 1);
        return (marker, proxy);
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public async Task Nothing_is_sent_in_clear_when_tls_is_on()
    {
        var (marker, proxy) = await SendThroughProxyAsync(() => Tls(_cluster));
        await using (proxy)
        {
            Assert.False(proxy.Saw(marker), "the marker crossed the wire in clear text");
            Assert.False(proxy.Saw("nas@127.0.0.1:"), "actor addresses crossed the wire in clear text");
            Assert.True(proxy.Recorded().Length > 1000);
        }
    }

    [Fact]
    public async Task The_same_message_is_readable_on_the_wire_when_tls_is_off()
    {
        var (marker, proxy) = await SendThroughProxyAsync(() => Plain);
        await using (proxy)
        {
            Assert.True(proxy.Saw(marker), "without TLS the recording proxy should see the marker");
            Assert.True(proxy.Saw("nas@127.0.0.1:"), "without TLS the recording proxy should see actor addresses");
        }
    }

    [Fact]
    public async Task A_node_started_through_Akka_Hosting_like_nas_node_talks_tls_only()
    {
        // The order of NodeConfig.StartAsync: the files' HOCON, then WithRemoting (inside AddNasActors), then TLS.
        var port = FreePort();
        await using var proxy = new TcpRecordingProxy(port);
        var config = Tls(_cluster).WithFallback(ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var tls = RemoteTls.FromConfig(config, "test node")!;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAkka("nas", b =>
        {
            b.AddHocon(config, HoconAddMode.Prepend);
            b.AddHocon(ConfigurationFactory.ParseString(NasActors.Cluster.Serialization.NasSerializer.Hocon), HoconAddMode.Prepend);
            b.WithRemoting("127.0.0.1", port, publicPort: proxy.Port);
            b.WithRemoteTls(tls);
        });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var a = host.Services.GetRequiredService<ActorSystem>();
            Assert.Equal("", a.Settings.Config.GetString(RemoteTls.PasswordKey)); // the password does not stay in the configuration
            var b = Node(Tls(_cluster), RemoteOnly(0, 0));
            var marker = await DeliverAsync(b, a, AddressOf(a));
            Assert.False(proxy.Saw(marker), "the marker crossed the wire in clear text");
        }
        finally { await host.StopAsync(); }
    }

    [Fact]
    public void A_missing_certificate_file_is_an_error_naming_the_setting_and_the_file()
    {
        var missing = Path.Combine(_folder, "nope.pfx");
        var e = Assert.Throws<RemoteTlsException>(() => RemoteTls.FromConfig(Tls(missing), "tls.conf"));
        Assert.Contains("akka.remote.dot-netty.tcp.ssl.certificate.path", e.Message);
        Assert.Contains(missing, e.Message);
        Assert.StartsWith("tls.conf:", e.Message);
    }

    [Fact]
    public void A_wrong_password_is_an_error_naming_the_setting()
    {
        var e = Assert.Throws<RemoteTlsException>(() => RemoteTls.FromConfig(Tls(_cluster, "wrong"), "tls.conf"));
        Assert.Contains("akka.remote.dot-netty.tcp.ssl.certificate.password", e.Message);
        Assert.Contains(RemoteTls.PasswordVariable, e.Message);
        Assert.Contains(_cluster, e.Message);
    }

    [Fact]
    public void Tls_on_without_a_certificate_path_is_an_error_naming_the_setting()
    {
        var config = ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.enable-ssl = on");
        var e = Assert.Throws<RemoteTlsException>(() => RemoteTls.FromConfig(config, "tls.conf"));
        Assert.Contains("akka.remote.dot-netty.tcp.ssl.certificate.path is empty", e.Message);
        Assert.Contains(RemoteTls.PathVariable, e.Message);
    }

    [Fact]
    public void A_missing_trusted_certificate_file_is_an_error_naming_the_setting()
    {
        var config = ConfigurationFactory.ParseString($"nas.tls.trusted-certificates = [\"{_folder}/ca.pem\"]").WithFallback(Tls(_cluster));
        var e = Assert.Throws<RemoteTlsException>(() => RemoteTls.FromConfig(config, "tls.conf"));
        Assert.Contains("nas.tls.trusted-certificates", e.Message);
        Assert.Contains("ca.pem", e.Message);
    }

    [Fact]
    public void Tls_is_off_unless_enabled()
    {
        Assert.Null(RemoteTls.FromConfig(LoopbackNodes.ClusterConfig()));
    }

    [Fact]
    public void Hocon_tls_conf_takes_the_certificate_path_and_password_from_the_environment()
    {
        var file = Path.Combine(RepositoryRoot(), "hocon", "tls.conf");
        Environment.SetEnvironmentVariable(RemoteTls.PathVariable, _cluster);
        Environment.SetEnvironmentVariable(RemoteTls.PasswordVariable, Password);
        try
        {
            var config = ConfigurationFactory.ParseString(File.ReadAllText(file));
            var tls = RemoteTls.FromConfig(config, file);
            Assert.NotNull(tls);
            Assert.Equal(_cluster, tls.CertificatePath);
            Assert.True(tls.Setup.RequireMutualAuthentication);
            Assert.False(tls.Setup.SuppressValidation);
            Assert.NotNull(tls.Setup.CustomValidator);
        }
        finally
        {
            Environment.SetEnvironmentVariable(RemoteTls.PathVariable, null);
            Environment.SetEnvironmentVariable(RemoteTls.PasswordVariable, null);
        }
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "NasActors.sln"))) return d.FullName;
        throw new InvalidOperationException("NasActors.sln not found above the test folder.");
    }
}
