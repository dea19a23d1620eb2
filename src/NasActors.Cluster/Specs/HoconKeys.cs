using Akka.Configuration;
using Akka.Configuration.Hocon;
using NasActors.Core.Input;

namespace NasActors.Cluster.Specs;

/// <summary>
/// Unknown keys of a HOCON block (a spec's blocks, a node's <c>nas</c> block): the first key that is not known,
/// with the nearest known one. Known keys are dotted paths below the block; a known key whose value is a block
/// is taken whole (its content is checked by whoever reads it, or is free-form such as controller settings).
/// </summary>
public static class HoconKeys
{
    /// <summary>The first unknown key (full dotted path below the block) and the nearest known key, or null.</summary>
    public static (string Key, string? Nearest)? FirstUnknown(Config block, IReadOnlyCollection<string> known)
    {
        if (block.IsEmpty) return null;
        return Walk(block.Root.GetObject(), "", known);
    }

    private static (string, string?)? Walk(HoconObject obj, string prefix, IReadOnlyCollection<string> known)
    {
        foreach (var (key, value) in obj.Items)
        {
            var path = prefix + key;
            if (known.Contains(path)) continue;
            if (value.IsObject() && known.Any(k => k.StartsWith(path + ".", StringComparison.Ordinal)))
            {
                if (Walk(value.GetObject(), path + ".", known) is { } inner) return inner;
                continue;
            }
            // Suggest among the keys of the same block first (a typo rarely changes the block too).
            var siblings = known.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToArray();
            return (path, NearestName.Of(path, siblings) ?? NearestName.Of(path, known));
        }
        return null;
    }

    /// <summary>"unknown key (did you mean x? known: ...)" for a message.</summary>
    public static string Describe(string key, string? nearest, IEnumerable<string> known) =>
        nearest is null ? $"unknown key (known: {string.Join(", ", known)})" : $"unknown key; did you mean '{nearest}'? (known: {string.Join(", ", known)})";
}
