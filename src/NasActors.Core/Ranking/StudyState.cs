using System.Collections.Immutable;

namespace NasActors.Core.Ranking;

/// <summary>
/// What a ranking study has recorded so far: a pure fold of its events. A result recorded twice (a job redone after a
/// crash) keeps the first value, so replays and repeated work never change a recorded number.
/// </summary>
public sealed record StudyState(
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<string> Architectures,
    ImmutableDictionary<string, StandaloneTrained> Standalone,
    ImmutableDictionary<string, SupernetCheckpointed> LastCheckpoint,
    ImmutableDictionary<string, SupernetTrained> Supernets,
    ImmutableDictionary<(string Method, string Architecture), SupernetScored> Scores)
{
    public static StudyState Start(StudyStarted started) => new(
        started.Settings, started.Architectures,
        ImmutableDictionary<string, StandaloneTrained>.Empty,
        ImmutableDictionary<string, SupernetCheckpointed>.Empty,
        ImmutableDictionary<string, SupernetTrained>.Empty,
        ImmutableDictionary<(string, string), SupernetScored>.Empty);

    public StudyState Apply(StudyEvent e) => e switch
    {
        StudyStarted => throw new InvalidOperationException("A study starts once; its journal holds a second study-started event."),
        StandaloneTrained s => Standalone.ContainsKey(s.Architecture) ? this : this with { Standalone = Standalone.Add(s.Architecture, s) },
        SupernetCheckpointed c => Supernets.ContainsKey(c.Method) ? this : this with { LastCheckpoint = LastCheckpoint.SetItem(c.Method, c) },
        SupernetTrained t => Supernets.ContainsKey(t.Method) ? this : this with { Supernets = Supernets.Add(t.Method, t) },
        SupernetScored s => Scores.ContainsKey((s.Method, s.Architecture)) ? this : this with { Scores = Scores.Add((s.Method, s.Architecture), s) },
        _ => throw new ArgumentException($"Unknown study event {e.GetType().Name}."),
    };

    public bool IsScored(string method, string architecture) => Scores.ContainsKey((method, architecture));

    /// <summary>Fails naming every setting that differs, when a study folder is resumed with other settings.</summary>
    public void EnsureSameSettings(IReadOnlyDictionary<string, string> settings, string journal)
    {
        var differences = Settings.Keys.Union(settings.Keys).Order(StringComparer.Ordinal)
            .Where(k => Settings.GetValueOrDefault(k) != settings.GetValueOrDefault(k))
            .Select(k => $"{k}: recorded '{Settings.GetValueOrDefault(k) ?? "(none)"}', now '{settings.GetValueOrDefault(k) ?? "(none)"}'")
            .ToArray();
        if (differences.Length > 0)
            throw new StudyJournalException(journal,
                $"it records a study with other settings ({string.Join("; ", differences)}). Use another output folder, or the recorded settings");
    }
}
