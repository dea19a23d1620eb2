using System.Net;
using Akka.Configuration;
using NasActors.Pbm.Host;

namespace NasActors.Cluster.Hosting;

/// <summary>
/// The web dashboard of a node (<c>nas.dashboard</c>, see hocon/base.conf): off by default; loopback unless a token is
/// set (the pbm host's rule); when a token is set, every request needs it.
/// </summary>
public sealed record DashboardOptions
{
    public const string Path = "nas.dashboard";

    public bool Enabled { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>0: any free port (printed at start).</summary>
    public int Port { get; init; } = 9120;
    public string Token { get; init; } = "";
    /// <summary>Largest request body accepted (actions carry a short JSON body at most).</summary>
    public int MaxRequestBytes { get; init; } = 16 * 1024;

    public static DashboardOptions FromConfig(Config nas, string source)
    {
        if (!nas.HasPath("dashboard")) return new DashboardOptions();
        var c = nas.GetConfig("dashboard");
        var d = new DashboardOptions();
        var port = c.HasPath("port") ? c.GetInt("port") : d.Port;
        if (port is < 0 or > 65535) throw new ArgumentException($"{source}: {Path}.port: not a port number: {port}");
        var max = c.HasPath("max-request-bytes") ? c.GetInt("max-request-bytes") : d.MaxRequestBytes;
        if (max is < 1024 or > 16 * 1024 * 1024) throw new ArgumentException($"{source}: {Path}.max-request-bytes must be in [1024, 16777216], got {max}");
        return new DashboardOptions
        {
            Enabled = c.HasPath("enabled") && c.GetBoolean("enabled"),
            Host = c.HasPath("host") && c.GetString("host") is { Length: > 0 } h ? h : d.Host,
            Port = port,
            Token = c.HasPath("token") ? c.GetString("token") ?? "" : "",
            MaxRequestBytes = max,
        };
    }

    /// <summary>The address to bind; a non-loopback one without a token is refused (the message names the keys).</summary>
    public IPAddress BindAddress() => CommandHostSettings.BindAddress(Host, Token, Path, "the browser sends");
}
