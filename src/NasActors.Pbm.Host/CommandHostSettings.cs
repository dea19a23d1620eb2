using System.Net;
using Akka.Configuration;
using NasActors.Pbm.Protocol;

namespace NasActors.Pbm.Host;

/// <summary>The <c>nas.pbm</c> block (see hocon/base.conf); every key has a default, so a system without it works.</summary>
public sealed record CommandHostSettings
{
    public const string Path = "nas.pbm";

    public bool Enabled { get; init; } = true;
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = PbmWire.DefaultPort;
    public bool LogPalettesOnStartup { get; init; } = true;
    /// <summary>Shared secret the client must send; required when <see cref="Host"/> is not a loopback address.</summary>
    public string Token { get; init; } = "";
    /// <summary>A connection that sends no frame for this long while no command runs is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public int MaxFrameBytes { get; init; } = 64 * 1024;
    public int MaxConnections { get; init; } = 32;

    public static CommandHostSettings From(Config config)
    {
        var d = new CommandHostSettings();
        if (!config.HasPath(Path)) return d;
        var c = config.GetConfig(Path);
        int Int(string key, int def, int min, int max)
        {
            var v = c.HasPath(key) ? c.GetInt(key) : def;
            return v >= min && v <= max ? v : throw new ConfigurationException($"{Path}.{key} must be in [{min}, {max}], got {v}");
        }
        var idle = c.HasPath("idle-timeout") ? c.GetTimeSpan("idle-timeout", d.IdleTimeout, allowInfinite: false) : d.IdleTimeout;
        if (idle <= TimeSpan.Zero) throw new ConfigurationException($"{Path}.idle-timeout must be positive, got {idle}");
        return new CommandHostSettings
        {
            Enabled = !c.HasPath("enabled") || c.GetBoolean("enabled"),
            Host = c.HasPath("host") ? c.GetString("host") : d.Host,
            Port = Int("port", d.Port, 0, 65535),
            LogPalettesOnStartup = !c.HasPath("log-palettes-on-startup") || c.GetBoolean("log-palettes-on-startup"),
            Token = c.HasPath("token") ? c.GetString("token") ?? "" : "",
            IdleTimeout = idle,
            MaxFrameBytes = Int("max-frame-bytes", d.MaxFrameBytes, 1024, 16 * 1024 * 1024),
            MaxConnections = Int("max-connections", d.MaxConnections, 1, 10_000),
        };
    }

    /// <summary>The address to bind; a non-loopback one without a token is refused (the message names the keys).</summary>
    public IPAddress BindAddress() => BindAddress(Host, Token, Path, "the pbm client sends");

    /// <summary>
    /// The rule every listener of a node follows (pbm host, dashboard): an IP address or localhost; anything but a
    /// loopback address requires <c>{path}.token</c>.
    /// </summary>
    public static IPAddress BindAddress(string host, string token, string path, string whoSends)
    {
        IPAddress address;
        if (host is "localhost") address = IPAddress.Loopback;
        else if (!IPAddress.TryParse(host, out address!))
            throw new ConfigurationException($"{path}.host must be an IP address (or localhost), got '{host}'");
        if (!IPAddress.IsLoopback(address) && token.Length == 0)
            throw new ConfigurationException(
                $"{path}.host = {host} is not a loopback address: set {path}.token (a shared secret {whoSends}) or bind to 127.0.0.1");
        return address;
    }
}
