using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Transport.DotNetty;

namespace NasActors.Cluster.Transport;

/// <summary>TLS settings that cannot work; the message names the setting (and the file it points to).</summary>
public sealed class RemoteTlsException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What <see cref="RemoteTls.FromConfig"/> made of the TLS settings.</summary>
public sealed record RemoteTlsSettings(DotNettySslSetup Setup, string CertificatePath, string Thumbprint, IReadOnlyList<string> TrustedThumbprints);

/// <summary>
/// Remoting over TLS (DotNetty), switched on by Akka's own keys (see hocon/tls.conf):
/// <c>akka.remote.dot-netty.tcp.enable-ssl = on</c> and <c>ssl.certificate { path, password, flags }</c>; an empty
/// path or password is taken from the environment (<c>NAS_TLS_CERTIFICATE</c>, <c>NAS_TLS_PASSWORD</c>).
/// The certificate is loaded here, so a missing file or a wrong password fails the node at start with a message naming
/// the key. Peers are authenticated both ways (mutual TLS, <c>ssl.require-mutual-authentication</c>): a peer is
/// accepted only when its certificate chains to a trusted certificate, i.e. this node's own certificate (one cluster
/// certificate shared by every node) or one listed in <c>nas.tls.trusted-certificates</c> (e.g. the CA that signed
/// per-node certificates). The operating system's CA store is not consulted: a certificate a public CA signed for
/// someone else does not get into the cluster. <c>ssl.suppress-validation = on</c> accepts every peer (encryption
/// without authentication; for experiments only).
/// </summary>
public static class RemoteTls
{
    public const string Tcp = "akka.remote.dot-netty.tcp";
    public const string EnableKey = Tcp + ".enable-ssl";
    public const string PathKey = Tcp + ".ssl.certificate.path";
    public const string PasswordKey = Tcp + ".ssl.certificate.password";
    public const string FlagsKey = Tcp + ".ssl.certificate.flags";
    public const string SuppressValidationKey = Tcp + ".ssl.suppress-validation";
    public const string MutualKey = Tcp + ".ssl.require-mutual-authentication";
    public const string HostnameKey = Tcp + ".ssl.validate-certificate-hostname";
    public const string TrustedKey = "nas.tls.trusted-certificates";
    public const string PathVariableKey = "nas.tls.certificate-path-env";
    public const string PasswordVariableKey = "nas.tls.password-env";

    /// <summary>The environment variable the certificate password comes from when the key is empty (default).</summary>
    public const string PasswordVariable = "NAS_TLS_PASSWORD";

    /// <summary>The environment variable the certificate path comes from when the key is empty (default).</summary>
    public const string PathVariable = "NAS_TLS_CERTIFICATE";

    /// <summary>Null when TLS is off; otherwise the loaded certificate and the peer validation, or an error naming the key.</summary>
    public static RemoteTlsSettings? FromConfig(Config config, string source = "configuration")
    {
        if (!config.HasPath(EnableKey) || !config.GetBoolean(EnableKey)) return null;
        // Akka's HOCON parser does not read environment variables: an empty key falls back to the variable named by
        // nas.tls.certificate-path-env / nas.tls.password-env (NAS_TLS_CERTIFICATE / NAS_TLS_PASSWORD by default).
        var pathVariable = Str(config, PathVariableKey, PathVariable);
        var passwordVariable = Str(config, PasswordVariableKey, PasswordVariable);
        var path = FromKeyOrEnvironment(config, PathKey, pathVariable);
        var pathOrigin = $"{PathKey} (or the environment variable {pathVariable})";
        if (string.IsNullOrWhiteSpace(path))
            throw new RemoteTlsException($"{source}: {EnableKey} is on but {PathKey} is empty and the environment variable {pathVariable} " +
                                         "is not set: name the PKCS#12 (.pfx) certificate file.");
        if (!File.Exists(path))
            throw new RemoteTlsException($"{source}: {pathOrigin}: the certificate file '{Path.GetFullPath(path)}' does not exist.");
        var password = FromKeyOrEnvironment(config, PasswordKey, passwordVariable);
        var flags = Flags(config, source);

        X509Certificate2 certificate;
        try { certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, flags); }
        catch (CryptographicException e) when (IsWrongPassword(e))
        {
            throw new RemoteTlsException($"{source}: {PasswordKey} does not open the certificate file '{Path.GetFullPath(path)}' " +
                                         $"(wrong password; when the key is empty it comes from the environment variable {passwordVariable}): {e.Message}", e);
        }
        catch (CryptographicException e)
        {
            throw new RemoteTlsException($"{source}: {pathOrigin}: '{Path.GetFullPath(path)}' is not a readable PKCS#12 (.pfx) certificate with its key: {e.Message}", e);
        }
        if (!certificate.HasPrivateKey)
            throw new RemoteTlsException($"{source}: {pathOrigin}: '{Path.GetFullPath(path)}' holds no private key (export the certificate with its key as .pfx).");

        var trusted = new List<X509Certificate2> { certificate };
        if (config.HasPath(TrustedKey))
            foreach (var file in config.GetStringList(TrustedKey).Where(f => !string.IsNullOrWhiteSpace(f)))
                trusted.AddRange(LoadTrusted(file, source));

        var suppress = config.HasPath(SuppressValidationKey) && config.GetBoolean(SuppressValidationKey);
        var mutual = !config.HasPath(MutualKey) || config.GetBoolean(MutualKey);
        var hostname = config.HasPath(HostnameKey) && config.GetBoolean(HostnameKey);
        CertificateValidationCallback? validator = null;
        if (!suppress)
        {
            validator = TrustOnly(trusted);
            if (hostname) validator = CertificateValidation.Combine(validator, CertificateValidation.ValidateHostname());
        }
        var setup = new DotNettySslSetup(certificate, suppress, mutual, hostname, validator!);
        return new RemoteTlsSettings(setup, Path.GetFullPath(path), certificate.Thumbprint, trusted.Select(t => t.Thumbprint).ToArray());
    }

    private static string Str(Config config, string key, string fallback) =>
        config.HasPath(key) && config.GetString(key) is { Length: > 0 } v ? v : fallback;

    private static string FromKeyOrEnvironment(Config config, string key, string variable) =>
        config.HasPath(key) && config.GetString(key) is { Length: > 0 } v ? v : Environment.GetEnvironmentVariable(variable) ?? "";

    private static bool IsWrongPassword(CryptographicException e) =>
        e.Message.Contains("password", StringComparison.OrdinalIgnoreCase) || e.HResult == unchecked((int)0x80070056);

    private static X509KeyStorageFlags Flags(Config config, string source)
    {
        var flags = X509KeyStorageFlags.DefaultKeySet;
        if (!config.HasPath(FlagsKey)) return flags;
        foreach (var f in config.GetStringList(FlagsKey))
            flags |= f.Trim().ToLowerInvariant() switch
            {
                "default-key-set" => X509KeyStorageFlags.DefaultKeySet,
                "exportable" => X509KeyStorageFlags.Exportable,
                "machine-key-set" => X509KeyStorageFlags.MachineKeySet,
                "persist-key-set" => X509KeyStorageFlags.PersistKeySet,
                "user-key-set" => X509KeyStorageFlags.UserKeySet,
                "user-protected" => X509KeyStorageFlags.UserProtected,
                _ => throw new RemoteTlsException($"{source}: {FlagsKey}: unknown flag '{f}' (known: default-key-set, exportable, machine-key-set, persist-key-set, user-key-set, user-protected)."),
            };
        return flags;
    }

    private static IEnumerable<X509Certificate2> LoadTrusted(string file, string source)
    {
        if (!File.Exists(file)) throw new RemoteTlsException($"{source}: {TrustedKey}: the certificate file '{Path.GetFullPath(file)}' does not exist.");
        try
        {
            if (File.ReadAllText(file).Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                var bundle = new X509Certificate2Collection();
                bundle.ImportFromPemFile(file);
                return bundle.ToArray();
            }
            return [X509CertificateLoader.LoadCertificateFromFile(file)];
        }
        catch (CryptographicException e)
        {
            throw new RemoteTlsException($"{source}: {TrustedKey}: '{Path.GetFullPath(file)}' is not a certificate (PEM or DER): {e.Message}", e);
        }
    }

    /// <summary>
    /// Accepts a peer certificate only if it chains to one of <paramref name="anchors"/> (custom root trust: the
    /// system store is ignored). Host names are not checked: nodes are addressed by IP and share one certificate.
    /// </summary>
    public static CertificateValidationCallback TrustOnly(IReadOnlyList<X509Certificate2> anchors) =>
        (certificate, chain, peer, _, log) =>
        {
            if (certificate is null)
            {
                log.Warning("TLS: refused {0}: it presented no certificate", peer);
                return false;
            }
            using var build = new X509Chain();
            build.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            build.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            build.ChainPolicy.CustomTrustStore.AddRange(anchors.ToArray());
            if (chain is not null)
                foreach (var element in chain.ChainElements) build.ChainPolicy.ExtraStore.Add(element.Certificate);
            if (build.Build(certificate)) return true;
            log.Warning("TLS: refused the certificate of {0} ({1}, thumbprint {2}): {3}", peer, certificate.Subject, certificate.Thumbprint,
                string.Join(", ", build.ChainStatus.Select(s => s.Status.ToString())));
            return false;
        };

    /// <summary>
    /// HOCON that blanks the certificate path and password once they were read: the certificate travels in the
    /// <see cref="DotNettySslSetup"/> (Akka would otherwise warn that both are set), and the password does not stay in
    /// the actor system's configuration.
    /// </summary>
    public static Config Consumed { get; } = ConfigurationFactory.ParseString($"{Tcp}.ssl.certificate {{ path = \"\", password = \"\" }}");

    /// <summary>Akka.Hosting: remoting over TLS with these settings (from <see cref="FromConfig"/>).</summary>
    public static AkkaConfigurationBuilder WithRemoteTls(this AkkaConfigurationBuilder builder, RemoteTlsSettings tls) =>
        builder
            .AddHocon(ConfigurationFactory.ParseString($"{EnableKey} = on").WithFallback(Consumed), HoconAddMode.Prepend)
            .AddSetup(tls.Setup);
}
