using System.Collections;

namespace NasActors.Core.Spaces;

/// <summary>
/// One candidate network: one choice index per decision of its search space. Immutable, compared by value.
/// The canonical text form belongs to the space (<see cref="ISearchSpace.Format"/>); <see cref="ToString"/> gives the
/// space-independent choice string (one base-36 digit per decision), which is the form of layer-choice spaces.
/// </summary>
public sealed class Architecture : IEquatable<Architecture>, IReadOnlyList<int>
{
    private const string Digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    private readonly int[] _choices;
    private readonly int _hash;

    public Architecture(IEnumerable<int> choices)
    {
        _choices = choices.ToArray();
        if (_choices.Length == 0) throw new ArgumentException("An architecture needs at least one decision.", nameof(choices));
        foreach (var c in _choices)
            if (c < 0 || c >= Digits.Length)
                throw new ArgumentOutOfRangeException(nameof(choices), c, $"A choice index must be in [0, {Digits.Length}).");
        _hash = StableHash(_choices);
    }

    public static Architecture Of(params int[] choices) => new(choices);

    public int Count => _choices.Length;
    public int this[int decision] => _choices[decision];
    public ReadOnlySpan<int> Choices => _choices;

    /// <summary>A copy with one decision changed.</summary>
    public Architecture With(int decision, int choice)
    {
        var copy = (int[])_choices.Clone();
        copy[decision] = choice;
        return new Architecture(copy);
    }

    /// <summary>The choice string: one base-36 digit per decision, e.g. <c>02012100</c>.</summary>
    public override string ToString() => string.Concat(_choices.Select(c => Digits[c]));

    /// <summary>Parses a choice string (digits 0-9 then a-z); the space checks the ranges.</summary>
    public static Architecture ParseChoiceString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t.Length == 0) throw new ArchitectureFormatException(text, "it is empty");
        var choices = new int[t.Length];
        for (var i = 0; i < t.Length; i++)
        {
            var d = Digits.IndexOf(char.ToLowerInvariant(t[i]));
            if (d < 0) throw new ArchitectureFormatException(text, $"character '{t[i]}' at position {i} is not a choice digit");
            choices[i] = d;
        }
        return new Architecture(choices);
    }

    public bool Equals(Architecture? other) =>
        other is not null && (ReferenceEquals(this, other) || (_hash == other._hash && _choices.AsSpan().SequenceEqual(other._choices)));

    public override bool Equals(object? obj) => obj is Architecture a && Equals(a);

    /// <summary>Stable across processes (FNV-1a), unlike string hashes.</summary>
    public override int GetHashCode() => _hash;

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)_choices).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _choices.GetEnumerator();

    public static bool operator ==(Architecture? a, Architecture? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(Architecture? a, Architecture? b) => !(a == b);

    private static int StableHash(int[] choices)
    {
        unchecked
        {
            var h = 2166136261u;
            foreach (var c in choices) { h ^= (uint)c; h *= 16777619u; }
            return (int)h;
        }
    }
}

/// <summary>A text that is not an architecture of the space it was parsed for.</summary>
public sealed class ArchitectureFormatException(string text, string reason)
    : FormatException($"Invalid architecture '{text}': {reason}.")
{
    public string Text { get; } = text;
    public string Reason { get; } = reason;
}
