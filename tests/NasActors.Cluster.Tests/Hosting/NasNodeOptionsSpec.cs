using Akka.Configuration;
using NasActors.Cluster.Hosting;
using NasActors.Core.Input;
using NasActors.Cluster.Persistence;

namespace NasActors.Cluster.Tests.Hosting;

/// <summary>Node options from HOCON and environment: overrides, and bad input named precisely.</summary>
public sealed class NasNodeOptionsSpec
{
    private static NasNodeOptions Read(string hocon, params (string Key, string Value)[] env)
    {
        var vars = env.ToDictionary(e => e.Key, e => e.Value);
        return NasNodeOptions.FromConfig(ConfigurationFactory.ParseString("nas { " + hocon + " }"), k => vars.GetValueOrDefault(k), "test.conf");
    }

    [Fact]
    public void Membership_defaults_to_rejoin_with_a_30_s_controller_watch_and_the_watch_can_be_switched_off()
    {
        Assert.Equal(new MembershipOptions { WhenRemoved = WhenRemoved.Rejoin, MissingControllerTimeout = TimeSpan.FromSeconds(30) }, Read("").Membership);
        Assert.Equal(new MembershipOptions { WhenRemoved = WhenRemoved.Exit, MissingControllerTimeout = TimeSpan.Zero },
            Read("cluster { when-removed = exit, missing-controller-timeout = off }").Membership);
    }

    [Fact]
    public void Seed_nodes_roles_port_and_hostname_come_from_the_environment_over_the_file()
    {
        var o = Read("seed-nodes = [\"akka.tcp://nas@10.0.0.1:4053\"], roles = [controller], port = 4053",
            ("NAS_SEED_NODES", "akka.tcp://nas@10.0.0.7:4053, akka.tcp://nas@10.0.0.8:4053"), ("NAS_ROLES", "evaluator"),
            ("NAS_PORT", "4060"), ("NAS_HOSTNAME", "0.0.0.0"), ("NAS_PUBLIC_HOSTNAME", "node-7"));
        Assert.Equal(["akka.tcp://nas@10.0.0.7:4053", "akka.tcp://nas@10.0.0.8:4053"], o.SeedNodes);
        Assert.Equal(["evaluator"], o.Roles);
        Assert.Equal(4060, o.Port);
        Assert.Equal("0.0.0.0", o.Hostname);
        Assert.Equal("node-7", o.PublicHostname);
    }

    [Theory]
    [InlineData("seed-nodes = [\"nas@host\"]", "", "nas.seed-nodes")]
    [InlineData("seed-nodes = [\"akka.tcp://other@10.0.0.1:4053\"]", "", "must name the system 'nas'")]
    [InlineData("", "NAS_SEED_NODES=akka.tcp://nas@:x", "NAS_SEED_NODES")]
    [InlineData("", "NAS_PORT=port", "NAS_PORT")]
    [InlineData("", "NAS_ROLES=controller,gardener", "unknown role 'gardener'")]
    [InlineData("persistence.backend = oracle", "", "nas.persistence.backend")]
    [InlineData("discovery.method = dns", "", "nas.discovery.method")]
    [InlineData("discovery.method = config", "", "nas.discovery.endpoints")]
    [InlineData("discovery.join = gossip", "", "nas.discovery.join")]
    [InlineData("discovery { method = config, endpoints = [\"host-without-port\"] }", "", "host-without-port")]
    [InlineData("job-timeout = forever", "", "test.conf: nas.job-timeout: 'forever' is not a duration")]
    [InlineData("cluster.when-removed = retry", "", "nas.cluster.when-removed must be rejoin or exit")]
    [InlineData("cluster.missing-controller-timeout = soon", "", "nas.cluster.missing-controller-timeout: 'soon' is not a duration")]
    public void Bad_settings_fail_naming_the_key_or_variable(string hocon, string env, string named)
    {
        var vars = env.Length == 0 ? [] : new[] { (env[..env.IndexOf('=')], env[(env.IndexOf('=') + 1)..]) };
        var e = Assert.Throws<ArgumentException>(() => Read(hocon, vars));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void Postgres_connection_string_comes_from_the_environment_and_the_password_separately()
    {
        var o = Read("persistence { backend = postgres, postgres.connection-string = \"Host=file-host;Database=nas;Username=nas\" }",
            (PostgresPersistence.ConnectionVariable, "Host=env-host;Port=5433;Database=nas;Username=nas"),
            (PostgresPersistence.PasswordVariable, "s3cret"));
        Assert.Equal(PersistenceBackend.Postgres, o.PersistenceBackend);
        var b = new Npgsql.NpgsqlConnectionStringBuilder(o.PostgresConnection);
        Assert.Equal("env-host", b.Host);
        Assert.Equal(5433, b.Port);
        Assert.Equal("s3cret", b.Password);
    }

    [Theory]
    [InlineData("", "", "NAS_POSTGRES_CONNECTION")]
    [InlineData("Host=h;Database=nas;Bogus Key=1", "", "nas.persistence.postgres.connection-string: not a valid PostgreSQL connection string")]
    [InlineData("", "Database=nas", "NAS_POSTGRES_CONNECTION: the connection string names no Host")]
    [InlineData("Host=h", "", "names no Database")]
    public void Bad_postgres_connection_strings_are_named(string configured, string fromEnv, string named)
    {
        var env = fromEnv.Length == 0 ? [] : new[] { (PostgresPersistence.ConnectionVariable, fromEnv) };
        var e = Assert.Throws<ArgumentException>(() =>
            Read($"persistence {{ backend = postgres, postgres.connection-string = \"{configured}\" }}", env));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void Defaults_are_one_node_with_every_role_on_sqlite_and_seed_node_joining()
    {
        var o = Read("");
        Assert.Equal(NasRoles.All, o.Roles);
        Assert.Equal(PersistenceBackend.Sqlite, o.PersistenceBackend);
        Assert.Empty(o.SeedNodes);
        Assert.False(o.Discovery.UsesBootstrap);
    }

    [Theory]
    [InlineData("prot = 4054", "nas.prot: unknown key; did you mean nas.port?")]
    [InlineData("population.snapshot-evry = 5", "nas.population.snapshot-evry: unknown key; did you mean nas.population.snapshot-every?")]
    [InlineData("pbm { prot = 0 }", "nas.pbm.prot: unknown key; did you mean nas.pbm.port?")]
    [InlineData("persistence.sqlite.journal = x", "nas.persistence.sqlite.journal: unknown key; did you mean nas.persistence.sqlite.journal-file?")]
    [InlineData("gardener = yes", "nas.gardener: unknown key (see hocon/base.conf)")]
    public void Unknown_keys_are_refused_with_the_nearest_known_key(string hocon, string message) =>
        Assert.Equal($"test.conf: {message}", Assert.Throws<ArgumentException>(() => Read(hocon)).Message);

    /// <summary>A word where a list was meant, a list or a block where a word was: refused naming the key, never a crash.</summary>
    [Theory]
    [InlineData("roles = trainer", "nas.roles must be a list of values")]
    [InlineData("seed-nodes = 5", "nas.seed-nodes must be a list of values")]
    [InlineData("roles = [{ a = 1 }]", "nas.roles must be a list of values")]
    [InlineData("discovery.endpoints = \"a:1\"", "nas.discovery.endpoints must be a list of values")]
    [InlineData("dashboard.port = [1]", "nas.dashboard.port must be a single value")]
    [InlineData("checkpoint-folder = [x]", "nas.checkpoint-folder must be a single value")]
    [InlineData("dashboard.token { a = 1 }", "nas.dashboard.token must be a single value")]
    [InlineData("dashboard = 5", "nas.dashboard must be a block")]
    [InlineData("persistence { sqlite = 3 }", "nas.persistence.sqlite must be a block")]
    public void Values_of_the_wrong_shape_are_refused_naming_the_key(string hocon, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => Read(hocon)).Message);

    [Theory]
    [InlineData("nas = 5", "nas must be a block")]
    [InlineData("akka = [1]", "akka must be a block")]
    public void A_nas_or_akka_section_that_is_not_a_block_is_refused(string hocon, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() =>
            NasNodeOptions.FromConfig(ConfigurationFactory.ParseString(hocon), _ => null, "test.conf")).Message);

    [Theory]
    [InlineData("port = abc", "nas.port: 'abc' is malformed")]
    [InlineData("port = 70000", "nas.port must be in [0, 65535], got 70000")]
    [InlineData("evaluators = lots", "nas.evaluators: 'lots' is malformed")]
    [InlineData("job-timeout = soon", "nas.job-timeout: 'soon' is not a duration")]
    [InlineData("evaluator-poll = -2s", "nas.evaluator-poll")]
    [InlineData("discovery.management-port = x", "nas.discovery.management-port: 'x' is malformed")]
    public void Malformed_values_are_refused_naming_the_key(string hocon, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => Read(hocon)).Message);
}

/// <summary>The shipped hocon/ files, layered on base.conf as <c>nas node --config FILE</c> does, give valid options.</summary>
public sealed class ShippedHoconSpec
{
    private static Config Load(params string[] files)
    {
        var config = ConfigurationFactory.Empty;
        foreach (var f in new[] { "base.conf", "persistence-sqlite.conf" }.Concat(files))
            config = ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", f))).WithFallback(config);
        return config;
    }

    private static readonly Dictionary<string, string> Postgres = new()
    {
        [PostgresPersistence.ConnectionVariable] = "Host=db;Database=nas;Username=nas", [PostgresPersistence.PasswordVariable] = "pw",
    };

    [Fact]
    public void Base_keeps_the_majority_on_a_split_brain_with_ddata_sharding_and_remembered_entities_in_the_journal()
    {
        var akka = Load().GetConfig("akka");
        Assert.Equal("keep-majority", akka.GetString("cluster.split-brain-resolver.active-strategy"));
        Assert.True(akka.GetBoolean("cluster.split-brain-resolver.down-all-when-unstable"));
        Assert.Equal("ddata", akka.GetString("cluster.sharding.state-store-mode"));
        Assert.Equal("eventsourced", akka.GetString("cluster.sharding.remember-entities-store"));
    }

    [Theory]
    [InlineData("roles-all.conf", "controller,trainer,evaluator")]
    [InlineData("roles-controller.conf", "controller")]
    [InlineData("roles-controller-trainer.conf", "controller,trainer")]
    [InlineData("roles-trainer.conf", "trainer")]
    [InlineData("roles-evaluator.conf", "evaluator")]
    public void Role_files_give_their_roles(string file, string roles)
    {
        Assert.Equal(roles.Split(','), NasNodeOptions.FromConfig(Load(file), _ => null).Roles);
    }

    [Fact]
    public void The_postgres_file_selects_postgres_and_needs_the_environment()
    {
        var o = NasNodeOptions.FromConfig(Load("persistence-postgres.conf"), Postgres.GetValueOrDefault);
        Assert.Equal(PersistenceBackend.Postgres, o.PersistenceBackend);
        Assert.Contains("Password=pw", o.PostgresConnection);
        var e = Assert.Throws<ArgumentException>(() => NasNodeOptions.FromConfig(Load("persistence-postgres.conf"), _ => null));
        Assert.Contains(PostgresPersistence.ConnectionVariable, e.Message);
    }

    [Theory]
    [InlineData("discovery-config.conf", "config")]
    [InlineData("discovery-kubernetes.conf", "kubernetes-api")]
    public void Discovery_files_select_discovery_joined_as_seed_nodes(string file, string method)
    {
        var o = NasNodeOptions.FromConfig(Load("persistence-postgres.conf", file), Postgres.GetValueOrDefault);
        Assert.True(o.Discovery.UsesBootstrap);
        Assert.Equal(method, o.Discovery.Method.ToWire());
        Assert.Equal(2, o.Discovery.RequiredContactPoints);
        Assert.Equal(DiscoveryJoin.SeedNodes, o.Discovery.Join);
    }

    [Fact]
    public void The_shipped_configuration_files_use_only_known_keys()
    {
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "hocon"), "*.conf");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var config = ConfigurationFactory.ParseString(File.ReadAllText(file));
            if (!config.HasPath("nas")) continue;
            var known = NasNodeOptions.Keys;
            Assert.True(NasActors.Cluster.Specs.HoconKeys.FirstUnknown(config.GetConfig("nas"), known) is null, $"{file} has a key not in NasNodeOptions.Keys");
        }
    }
}
