using System.Text.Json.Serialization;
using Akka.Configuration;
using NasActors.Cluster.Searches;
using NasActors.Core.Input;

namespace NasActors.Cluster.Hosting;

public static class NasRoles
{
    public const string Controller = "controller";
    public const string Trainer = "trainer";
    public const string Evaluator = "evaluator";
    public static IReadOnlyList<string> All { get; } = [Controller, Trainer, Evaluator];
}

/// <summary>What a node's trainers and evaluators compute with (<c>nas.backend</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NodeBackend>))]
public enum NodeBackend
{
    /// <summary>Tensors (TorchSharp): supernets are trained and candidates scored for real.</summary>
    [JsonStringEnumMemberName("torch")] Torch,
    /// <summary>No tensors: stub training steps and stub scores (tests and benchmarks of the actors).</summary>
    [JsonStringEnumMemberName("stub")] Stub,
}

/// <summary>Where a node's journal and snapshots are (<c>nas.persistence.backend</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PersistenceBackend>))]
public enum PersistenceBackend
{
    /// <summary>SQLite files: one machine (the default).</summary>
    [JsonStringEnumMemberName("sqlite")] Sqlite,
    /// <summary>PostgreSQL: controllers on several machines.</summary>
    [JsonStringEnumMemberName("postgres")] Postgres,
}

/// <summary>What a node runs, from the <c>nas</c> block of its HOCON (see hocon/base.conf).</summary>
public sealed record NasNodeOptions
{
    public IReadOnlyList<string> Roles { get; init; } = NasRoles.All;
    public string Hostname { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 4053;
    public IReadOnlyList<string> SeedNodes { get; init; } = [];
    public int Evaluators { get; init; } = 1;
    /// <summary>Mutator actors in this node's pool (children of evolutionary generations for its populations).</summary>
    public int Mutators { get; init; } = 2;
    public TimeSpan JobTimeout { get; init; } = TimeSpan.FromMinutes(5);
    public string JournalFile { get; init; } = "data/journal.db";
    public string SnapshotFile { get; init; } = "data/snapshots.db";
    public string CheckpointFolder { get; init; } = "data/checkpoints";
    public string? DataFolder { get; init; }
    /// <summary>How the search actors behave (the <c>nas.population</c> block: the key keeps its first name, files use it).</summary>
    public SearchActorSettings SearchActor { get; init; } = new() { ExportFolder = "data/exports" };
    /// <summary>Supernet training and scoring with tensors (torch) or without (stub: tests and benchmarks).</summary>
    public NodeBackend Backend { get; init; } = NodeBackend.Torch;
    public TimeSpan StubStepCost { get; init; } = TimeSpan.Zero;
    /// <summary>Hostname other nodes use to reach this one when it differs from the bound one (containers); null: <see cref="Hostname"/>.</summary>
    public string? PublicHostname { get; init; }
    /// <summary>Idle evaluators repeat their request for work this often.</summary>
    public TimeSpan EvaluatorPoll { get; init; } = TimeSpan.FromSeconds(2);
    public PersistenceBackend PersistenceBackend { get; init; } = PersistenceBackend.Sqlite;
    /// <summary>The resolved PostgreSQL connection string (password included) when <see cref="PersistenceBackend"/> is postgres.</summary>
    public string? PostgresConnection { get; init; }
    public DiscoveryOptions Discovery { get; init; } = new();
    /// <summary>Rejoin or exit when removed from the cluster, and the watch for a cluster without a controller.</summary>
    public MembershipOptions Membership { get; init; } = new();
    /// <summary>The web dashboard (<c>nas.dashboard</c>): off unless enabled.</summary>
    public DashboardOptions Dashboard { get; init; } = new();

    /// <summary>Environment variables that override the configuration (containers, Kubernetes, deploy/ scripts).</summary>
    public static class Env
    {
        public const string Hostname = "NAS_HOSTNAME";
        public const string PublicHostname = "NAS_PUBLIC_HOSTNAME";
        public const string Port = "NAS_PORT";
        public const string Roles = "NAS_ROLES";
        /// <summary>Comma-separated, e.g. <c>akka.tcp://nas@10.0.0.5:4053,akka.tcp://nas@10.0.0.6:4053</c>.</summary>
        public const string SeedNodes = "NAS_SEED_NODES";
    }

    public static NasNodeOptions FromConfig(Config config, string source = "configuration") =>
        FromConfig(config, Environment.GetEnvironmentVariable, source);

    /// <summary>
    /// Every key of the <c>nas</c> block (hocon/base.conf and the files beside it); any other key is refused at start
    /// with the nearest of these, so a misspelt setting never silently keeps its default.
    /// </summary>
    public static IReadOnlyList<string> Keys { get; } =
    [
        "roles", "hostname", "port", "public-hostname", "seed-nodes", "evaluators", "mutators", "job-timeout", "evaluator-poll",
        "backend", "stub-step-cost", "checkpoint-folder", "data-folder",
        "discovery.method", "discovery.join", "discovery.service-name", "discovery.required-contact-points",
        "discovery.management-hostname", "discovery.management-port", "discovery.endpoints", "discovery.pod-label-selector",
        "discovery.pod-namespace",
        "pbm.enabled", "pbm.host", "pbm.port", "pbm.log-palettes-on-startup", "pbm.token", "pbm.idle-timeout",
        "pbm.max-frame-bytes", "pbm.max-connections",
        "population.snapshot-every", "population.resend-pending-every", "population.export-folder",
        "population.recovery-retry.min-backoff", "population.recovery-retry.max-backoff",
        "cluster.when-removed", "cluster.missing-controller-timeout",
        "dashboard.enabled", "dashboard.host", "dashboard.port", "dashboard.token", "dashboard.max-request-bytes",
        "persistence.backend", "persistence.sqlite.journal-file", "persistence.sqlite.snapshot-file",
        "persistence.postgres.connection-string",
        "tls.certificate-path-env", "tls.password-env", "tls.trusted-certificates",
    ];

    /// <summary>A value of the <c>nas</c> block read with its key named when it is malformed (not a number, a list, ...).</summary>
    internal static T Read<T>(Config block, string key, string source, Func<T> read)
    {
        try { return read(); }
        catch (Exception e) when (e is not ArgumentException || e is ArgumentNullException)
        {
            var raw = block.GetValue(key) is { } v ? v.ToString() : "";
            throw new ArgumentException($"{source}: nas.{key}: '{raw}' is malformed: {e.Message}", e);
        }
    }

    /// <summary>Keys of the <c>nas</c> block whose value is a list; every other key of <see cref="Keys"/> holds one value.</summary>
    private static readonly HashSet<string> ListKeys = ["roles", "seed-nodes", "discovery.endpoints", "tls.trusted-certificates"];

    /// <summary>
    /// The shape of every known key: <c>nas</c>, <c>akka</c> and the blocks between are blocks, a list key a list of
    /// values, any other key one value. Akka's reader takes a word where a block was meant (or a block where a word was)
    /// and fails later far from the key, or ignores it; this names the key before anything is read.
    /// </summary>
    private static void CheckShapes(Config config, string source)
    {
        foreach (var top in new[] { "nas", "akka" })
            if (config.HasPath(top) && config.GetValue(top) is var v && (v is null || !v.IsObject()))
                throw new ArgumentException($"{source}: {top} must be a block {{ ... }}, not '{v}'");
        if (!config.HasPath("nas")) return;
        var c = config.GetConfig("nas");
        foreach (var key in Keys)
        {
            var parts = key.Split('.');
            for (var i = 1; i < parts.Length; i++)
            {
                var block = string.Join('.', parts[..i]);
                if (c.HasPath(block) && c.GetValue(block) is var b && (b is null || !b.IsObject()))
                    throw new ArgumentException($"{source}: nas.{block} must be a block {{ ... }}, not '{b}'");
            }
            if (!c.HasPath(key) || c.GetValue(key) is not { } value) continue;
            if (ListKeys.Contains(key))
            {
                // Akka's [] is neither an array nor a string: only a word, a block or a list of lists/blocks is refused.
                if (value.IsObject() || value.IsString() || (value.IsArray() && value.GetArray().Any(e => e.IsObject() || e.IsArray())))
                    throw new ArgumentException($"{source}: nas.{key} must be a list of values, e.g. [a, b], not '{value}'");
            }
            else if (value.IsObject() || value.IsArray())
                throw new ArgumentException($"{source}: nas.{key} must be a single value, not a block or a list ('{value}')");
        }
    }

    public static NasNodeOptions FromConfig(Config config, Func<string, string?> environment, string source = "configuration")
    {
        CheckShapes(config, source);
        if (!config.HasPath("nas")) throw new ArgumentException($"{source}: no 'nas' block");
        var c = config.GetConfig("nas");
        if (Specs.HoconKeys.FirstUnknown(c, Keys) is var (unknown, nearest))
            throw new ArgumentException($"{source}: nas.{unknown}: " +
                                        (nearest is null ? "unknown key (see hocon/base.conf)" : $"unknown key; did you mean nas.{nearest}?"));
        string Str(string key, string def) => c.HasPath(key) ? Read(c, key, source, () => c.GetString(key)) ?? def : def;
        int Int(string key, int def, int min, int max = int.MaxValue)
        {
            var v = c.HasPath(key) ? Read(c, key, source, () => c.GetInt(key)) : def;
            return v >= min && v <= max ? v
                : throw new ArgumentException($"{source}: nas.{key} must be " + (max == int.MaxValue ? $"at least {min}" : $"in [{min}, {max}]") + $", got {v}");
        }
        TimeSpan Time(string key, TimeSpan def)
        {
            if (!c.HasPath(key)) return def;
            TimeSpan t;
            try { t = c.GetTimeSpan(key, def, allowInfinite: false); }
            catch (Exception e)
            {
                throw new ArgumentException($"{source}: nas.{key}: '{c.GetValue(key)}' is not a duration (e.g. 500ms, 30s, 5m)", e);
            }
            return t >= TimeSpan.Zero ? t : throw new ArgumentException($"{source}: nas.{key} must not be negative, got {t}");
        }

        var rolesSource = $"{source}: nas.roles";
        var roles = c.HasPath("roles") ? Read(c, "roles", source, () => c.GetStringList("roles")).Select(r => r.Trim().ToLowerInvariant()).ToArray() : NasRoles.All.ToArray();
        if (environment(Env.Roles) is { Length: > 0 } envRoles)
        {
            roles = envRoles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => r.ToLowerInvariant()).ToArray();
            rolesSource = $"environment variable {Env.Roles}";
        }
        foreach (var r in roles)
            if (!NasRoles.All.Contains(r)) throw new ArgumentException($"{rolesSource}: unknown role '{r}' (known: {string.Join(", ", NasRoles.All)})");
        if (roles.Length == 0) throw new ArgumentException($"{rolesSource}: a node needs at least one role");
        var port = Int("port", 4053, 0, 65535);
        if (environment(Env.Port) is { Length: > 0 } envPort)
            port = int.TryParse(envPort, out var p) && p is >= 0 and <= 65535
                ? p : throw new ArgumentException($"environment variable {Env.Port}: not a port number: '{envPort}'");
        var seeds = c.HasPath("seed-nodes") ? Read(c, "seed-nodes", source, () => c.GetStringList("seed-nodes")).ToArray() : [];
        var seedSource = $"{source}: nas.seed-nodes";
        if (environment(Env.SeedNodes) is { Length: > 0 } envSeeds)
        {
            seeds = envSeeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            seedSource = $"environment variable {Env.SeedNodes}";
        }
        foreach (var seed in seeds) CheckSeedNode(seed, seedSource);
        var persistence = WireName<PersistenceBackend>.Parse(Str("persistence.backend", PersistenceBackend.Sqlite.ToWire()), $"{source}: nas.persistence.backend");
        var postgres = persistence == PersistenceBackend.Postgres
            ? Persistence.PostgresPersistence.ResolveConnectionString(Str("persistence.postgres.connection-string", ""), environment)
            : null;
        var backend = WireName<NodeBackend>.Parse(Str("backend", NodeBackend.Torch.ToWire()), $"{source}: nas.backend");
        var export = Str("population.export-folder", "data/exports");
        var retry = new RecoveryRetrySettings
        {
            MinBackoff = Time("population.recovery-retry.min-backoff", TimeSpan.FromMilliseconds(200)),
            MaxBackoff = Time("population.recovery-retry.max-backoff", TimeSpan.FromSeconds(1)),
        };
        if (retry.MinBackoff <= TimeSpan.Zero || retry.MaxBackoff < retry.MinBackoff)
            throw new ArgumentException($"{source}: nas.population.recovery-retry: min-backoff must be above 0 and max-backoff at least " +
                $"min-backoff, got {retry.MinBackoff.TotalMilliseconds} ms and {retry.MaxBackoff.TotalMilliseconds} ms");
        var whenRemoved = WireName<WhenRemoved>.Parse(Str("cluster.when-removed", WhenRemoved.Rejoin.ToWire()), $"{source}: nas.cluster.when-removed");
        return new NasNodeOptions
        {
            Roles = roles,
            Hostname = environment(Env.Hostname) is { Length: > 0 } h ? h : Str("hostname", "127.0.0.1"),
            PublicHostname = environment(Env.PublicHostname) is { Length: > 0 } ph ? ph
                : Str("public-hostname", "") is { Length: > 0 } cph ? cph : null,
            Port = port,
            SeedNodes = seeds,
            EvaluatorPoll = Time("evaluator-poll", TimeSpan.FromSeconds(2)),
            PersistenceBackend = persistence,
            PostgresConnection = postgres,
            Discovery = DiscoveryOptions.FromConfig(c, source),
            Dashboard = DashboardOptions.FromConfig(c, source),
            Evaluators = Int("evaluators", 1, 0),
            Mutators = Int("mutators", 2, 1),
            JobTimeout = Time("job-timeout", TimeSpan.FromMinutes(5)),
            JournalFile = Str("persistence.sqlite.journal-file", "data/journal.db"),
            SnapshotFile = Str("persistence.sqlite.snapshot-file", "data/snapshots.db"),
            CheckpointFolder = Str("checkpoint-folder", "data/checkpoints"),
            DataFolder = Str("data-folder", "") is { Length: > 0 } dataFolder ? dataFolder : null,
            SearchActor = new SearchActorSettings
            {
                SnapshotEvery = Int("population.snapshot-every", 200, 0),
                ResendPendingEvery = Time("population.resend-pending-every", TimeSpan.FromSeconds(30)),
                ExportFolder = export.Length == 0 ? null : export,
                Retry = retry,
            },
            Backend = backend,
            StubStepCost = Time("stub-step-cost", TimeSpan.Zero),
            Membership = new MembershipOptions
            {
                WhenRemoved = whenRemoved,
                MissingControllerTimeout = Str("cluster.missing-controller-timeout", "30s") is "off" or "0"
                    ? TimeSpan.Zero : Time("cluster.missing-controller-timeout", TimeSpan.FromSeconds(30)),
            },
        };
    }

    private static void CheckSeedNode(string seed, string source)
    {
        Akka.Actor.Address address;
        try { address = Akka.Actor.Address.Parse(seed); }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            throw new ArgumentException($"{source}: '{seed}' is not an actor system address (expected akka.tcp://nas@host:port)", e);
        }
        if (address.System != "nas" || address.Host is null || address.Port is null)
            throw new ArgumentException($"{source}: '{seed}' must name the system 'nas', a host and a port (akka.tcp://nas@host:port)");
    }
}

/// <summary>
/// How a node finds the cluster (<c>nas.discovery</c>): <c>seed-nodes</c> (nas.seed-nodes, or the node starts a
/// cluster of its own), or Akka.Management cluster bootstrap with <c>config</c> discovery (a fixed list of
/// management endpoints) or <c>kubernetes-api</c> discovery (pods by label, see deploy/k8s).
/// </summary>
public sealed record DiscoveryOptions
{
    public DiscoveryMethod Method { get; init; } = DiscoveryMethod.SeedNodes;
    /// <summary>
    /// How discovered nodes become a cluster: <c>seed-nodes</c> (default: the discovered remoting endpoints, sorted,
    /// are joined as seed nodes) or <c>akka-management</c> (Akka.Management HTTP + cluster bootstrap, endpoints are
    /// management ports). Akka.Management 1.5.73 needs Ceen.Httpd 0.9.9; with the 0.9.10 this mirror serves, its
    /// HTTP server fails to start (MissingMethodException on HttpServer.ListenAsync), hence the default.
    /// </summary>
    public DiscoveryJoin Join { get; init; } = DiscoveryJoin.SeedNodes;
    public string ServiceName { get; init; } = "nas";
    public int RequiredContactPoints { get; init; } = 2;
    public string ManagementHostname { get; init; } = "127.0.0.1";
    public int ManagementPort { get; init; } = 8558;
    /// <summary>config discovery: the management endpoints (host:port) of the nodes that may form the cluster.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = [];
    /// <summary>kubernetes-api discovery: the pod label selector ({0} is the service name).</summary>
    public string PodLabelSelector { get; init; } = "app={0}";
    public string? PodNamespace { get; init; }

    public bool UsesBootstrap => Method != DiscoveryMethod.SeedNodes;

    public static DiscoveryOptions FromConfig(Config nas, string source)
    {
        if (!nas.HasPath("discovery")) return new DiscoveryOptions();
        var c = nas.GetConfig("discovery");
        T Read<T>(string key, Func<T> read) => NasNodeOptions.Read(nas, key, source, read);
        string Str(string key, string def) => c.HasPath(key) && Read("discovery." + key, () => c.GetString(key)) is { Length: > 0 } v ? v : def;
        var method = WireName<DiscoveryMethod>.Parse(Str("method", DiscoveryMethod.SeedNodes.ToWire()), $"{source}: nas.discovery.method");
        var join = WireName<DiscoveryJoin>.Parse(Str("join", DiscoveryJoin.SeedNodes.ToWire()), $"{source}: nas.discovery.join");
        var required = c.HasPath("required-contact-points") ? Read("discovery.required-contact-points", () => c.GetInt("required-contact-points")) : 2;
        if (required < 1) throw new ArgumentException($"{source}: nas.discovery.required-contact-points must be at least 1, got {required}");
        var managementPort = c.HasPath("management-port") ? Read("discovery.management-port", () => c.GetInt("management-port")) : 8558;
        if (managementPort is < 0 or > 65535) throw new ArgumentException($"{source}: nas.discovery.management-port: not a port number: {managementPort}");
        var endpoints = c.HasPath("endpoints") ? Read("discovery.endpoints", () => c.GetStringList("endpoints")).ToArray() : [];
        foreach (var e in endpoints)
        {
            var colon = e.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(e[(colon + 1)..], out _))
                throw new ArgumentException($"{source}: nas.discovery.endpoints: '{e}' is not host:port");
        }
        if (method == DiscoveryMethod.Config && endpoints.Length == 0)
            throw new ArgumentException($"{source}: nas.discovery.method = config needs nas.discovery.endpoints (host:port of each node)");
        return new DiscoveryOptions
        {
            Method = method,
            Join = join,
            ServiceName = Str("service-name", "nas"),
            RequiredContactPoints = required,
            ManagementHostname = Str("management-hostname", "127.0.0.1"),
            ManagementPort = managementPort,
            Endpoints = endpoints,
            PodLabelSelector = Str("pod-label-selector", "app={0}"),
            PodNamespace = c.HasPath("pod-namespace") && c.GetString("pod-namespace") is { Length: > 0 } ns ? ns : null,
        };
    }
}

/// <summary>How a node finds the cluster (<c>nas.discovery.method</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DiscoveryMethod>))]
public enum DiscoveryMethod
{
    /// <summary>nas.seed-nodes, or the node starts a cluster of its own.</summary>
    [JsonStringEnumMemberName("seed-nodes")] SeedNodes,
    /// <summary>A fixed list of management endpoints (nas.discovery.endpoints).</summary>
    [JsonStringEnumMemberName("config")] Config,
    /// <summary>Pods by label through the Kubernetes API (deploy/k8s).</summary>
    [JsonStringEnumMemberName("kubernetes-api")] KubernetesApi,
}

/// <summary>How discovered nodes become a cluster (<c>nas.discovery.join</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DiscoveryJoin>))]
public enum DiscoveryJoin
{
    /// <summary>The discovered remoting endpoints, sorted, are joined as seed nodes.</summary>
    [JsonStringEnumMemberName("seed-nodes")] SeedNodes,
    /// <summary>Akka.Management HTTP and cluster bootstrap.</summary>
    [JsonStringEnumMemberName("akka-management")] AkkaManagement,
}
