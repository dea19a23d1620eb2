using Akka.Configuration;
using NasActors.Cluster.Population;

namespace NasActors.Cluster.Hosting;

public static class NasRoles
{
    public const string Controller = "controller";
    public const string Trainer = "trainer";
    public const string Evaluator = "evaluator";
    public static IReadOnlyList<string> All { get; } = [Controller, Trainer, Evaluator];
}

/// <summary>What a node runs, from the <c>nas</c> block of its HOCON (see hocon/base.conf).</summary>
public sealed record NasNodeOptions
{
    public IReadOnlyList<string> Roles { get; init; } = NasRoles.All;
    public string Hostname { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 4053;
    public IReadOnlyList<string> SeedNodes { get; init; } = [];
    public int Evaluators { get; init; } = 1;
    public TimeSpan JobTimeout { get; init; } = TimeSpan.FromMinutes(5);
    public string JournalFile { get; init; } = "data/journal.db";
    public string SnapshotFile { get; init; } = "data/snapshots.db";
    public string CheckpointFolder { get; init; } = "data/checkpoints";
    public string? DataFolder { get; init; }
    public PopulationSettings Population { get; init; } = new() { ExportFolder = "data/exports" };
    /// <summary>Supernet training and scoring with tensors (torch) or without (stub: tests and benchmarks).</summary>
    public string TrainingBackend { get; init; } = "torch";
    public TimeSpan StubStepCost { get; init; } = TimeSpan.Zero;

    public static NasNodeOptions FromConfig(Config config, string source = "configuration")
    {
        if (!config.HasPath("nas")) throw new ArgumentException($"{source}: no 'nas' block");
        var c = config.GetConfig("nas");
        string Str(string key, string def) => c.HasPath(key) ? c.GetString(key) : def;
        int Int(string key, int def, int min)
        {
            var v = c.HasPath(key) ? c.GetInt(key) : def;
            return v >= min ? v : throw new ArgumentException($"{source}: nas.{key} must be at least {min}, got {v}");
        }
        TimeSpan Time(string key, TimeSpan def) => c.HasPath(key) ? c.GetTimeSpan(key, def, allowInfinite: false) : def;

        var roles = c.HasPath("roles") ? c.GetStringList("roles").Select(r => r.Trim().ToLowerInvariant()).ToArray() : NasRoles.All.ToArray();
        foreach (var r in roles)
            if (!NasRoles.All.Contains(r)) throw new ArgumentException($"{source}: nas.roles: unknown role '{r}' (known: {string.Join(", ", NasRoles.All)})");
        var backend = Str("backend", "torch").ToLowerInvariant();
        if (backend is not ("torch" or "stub")) throw new ArgumentException($"{source}: nas.backend must be torch or stub, got '{backend}'");
        var export = Str("population.export-folder", "data/exports");
        return new NasNodeOptions
        {
            Roles = roles,
            Hostname = Str("hostname", "127.0.0.1"),
            Port = Int("port", 4053, 0),
            SeedNodes = c.HasPath("seed-nodes") ? c.GetStringList("seed-nodes").ToArray() : [],
            Evaluators = Int("evaluators", 1, 0),
            JobTimeout = Time("job-timeout", TimeSpan.FromMinutes(5)),
            JournalFile = Str("persistence.sqlite.journal-file", "data/journal.db"),
            SnapshotFile = Str("persistence.sqlite.snapshot-file", "data/snapshots.db"),
            CheckpointFolder = Str("checkpoint-folder", "data/checkpoints"),
            DataFolder = c.HasPath("data-folder") && c.GetString("data-folder").Length > 0 ? c.GetString("data-folder") : null,
            Population = new PopulationSettings
            {
                SnapshotEvery = Int("population.snapshot-every", 200, 0),
                ResendPendingEvery = Time("population.resend-pending-every", TimeSpan.FromSeconds(30)),
                ExportFolder = export.Length == 0 ? null : export,
            },
            TrainingBackend = backend,
            StubStepCost = Time("stub-step-cost", TimeSpan.Zero),
        };
    }
}
