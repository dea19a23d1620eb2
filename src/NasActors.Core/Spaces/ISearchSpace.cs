namespace NasActors.Core.Spaces;

/// <summary>
/// A discrete search space: a fixed number of decisions, each with its own number of choices.
/// Every space of the project (block spaces for supernets, the NAS-Bench-201 cell, tabular digit-string spaces)
/// is this shape, so every controller works on every space.
/// </summary>
public interface ISearchSpace
{
    /// <summary>The name used in specs and on the command line, e.g. <c>fmnist-mbconv</c>.</summary>
    string Name { get; }

    /// <summary>Number of choices of each decision, in decision order.</summary>
    IReadOnlyList<int> ChoiceCounts { get; }

    /// <summary>The canonical text form of an architecture of this space (events, files, CLI).</summary>
    string Format(Architecture architecture);

    /// <summary>Parses the canonical text form; throws <see cref="ArchitectureFormatException"/> naming the fault.</summary>
    Architecture Parse(string text);
}

public static class SearchSpaceExtensions
{
    public static int DecisionCount(this ISearchSpace space) => space.ChoiceCounts.Count;

    /// <summary>Number of architectures in the space (as a double: spaces can exceed 2^64).</summary>
    public static double Size(this ISearchSpace space) => space.ChoiceCounts.Aggregate(1.0, (acc, m) => acc * m);

    public static bool Contains(this ISearchSpace space, Architecture architecture)
    {
        if (architecture.Count != space.ChoiceCounts.Count) return false;
        for (var i = 0; i < architecture.Count; i++)
            if (architecture[i] >= space.ChoiceCounts[i]) return false;
        return true;
    }

    /// <summary>Throws <see cref="ArchitectureFormatException"/> when the architecture does not belong to the space.</summary>
    public static Architecture Validate(this ISearchSpace space, Architecture architecture, string? text = null)
    {
        var shown = text ?? architecture.ToString();
        if (architecture.Count != space.ChoiceCounts.Count)
            throw new ArchitectureFormatException(shown,
                $"space '{space.Name}' has {space.ChoiceCounts.Count} decisions, this has {architecture.Count}");
        for (var i = 0; i < architecture.Count; i++)
            if (architecture[i] >= space.ChoiceCounts[i])
                throw new ArchitectureFormatException(shown,
                    $"decision {i} has choices 0..{space.ChoiceCounts[i] - 1} in space '{space.Name}', got {architecture[i]}");
        return architecture;
    }
}

/// <summary>
/// A space of L decisions written as choice strings (<c>02012100</c>): the supernet block spaces and any
/// "L layers x K choices" table. Also accepts the tuple form used in papers, <c>(2,1,0,...)</c> or <c>2,1,0</c>.
/// </summary>
public class LayerChoiceSpace : ISearchSpace
{
    public LayerChoiceSpace(string name, IReadOnlyList<int> choiceCounts)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A space needs a name.", nameof(name));
        if (choiceCounts.Count == 0) throw new ArgumentException("A space needs at least one decision.", nameof(choiceCounts));
        if (choiceCounts.Any(c => c < 1 || c > 36)) throw new ArgumentException("Each decision needs 1..36 choices.", nameof(choiceCounts));
        Name = name;
        ChoiceCounts = choiceCounts.ToArray();
    }

    public static LayerChoiceSpace Uniform(string name, int layers, int choices) =>
        new(name, Enumerable.Repeat(choices, layers).ToArray());

    public string Name { get; }
    public IReadOnlyList<int> ChoiceCounts { get; }

    public virtual string Format(Architecture architecture) => this.Validate(architecture).ToString();

    public virtual Architecture Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        Architecture a;
        if (t.Contains(','))
        {
            var parts = t.Trim('(', ')', '[', ']').Split(',', StringSplitOptions.TrimEntries);
            var choices = new int[parts.Length];
            for (var i = 0; i < parts.Length; i++)
                if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out choices[i]))
                    throw new ArchitectureFormatException(text, $"'{parts[i]}' at position {i} is not a choice index");
            try { a = new Architecture(choices); }
            catch (ArgumentException e) { throw new ArchitectureFormatException(text, e.Message); }
        }
        else a = Architecture.ParseChoiceString(t);
        return this.Validate(a, text);
    }

    public override string ToString() => $"{Name} ({ChoiceCounts.Count} decisions, {this.Size():G4} architectures)";
}
