using System.Reflection;
using System.Text.Json.Serialization;

namespace NasActors.Core.Input;

/// <summary>
/// The one spelling of an enum value wherever it is text (HOCON, journals, JSON, the command line): the name its
/// <see cref="JsonStringEnumMemberNameAttribute"/> gives (an enum used this way also carries
/// <c>[JsonConverter(typeof(JsonStringEnumConverter&lt;T&gt;))]</c>, so System.Text.Json writes and reads the same text).
/// The names are fixed in the source, so renaming a member never changes what is stored.
/// </summary>
public static class WireName<T> where T : struct, Enum
{
    private static readonly (T Value, string Name)[] Members = typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => ((T)f.GetValue(null)!, f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
            ?? throw new InvalidOperationException($"{typeof(T).Name}.{f.Name} has no [JsonStringEnumMemberName]")))
        .ToArray();

    /// <summary>Every name, in declaration order.</summary>
    public static IReadOnlyList<string> Names { get; } = Members.Select(m => m.Name).ToArray();

    /// <summary>"a, b or c", for messages.</summary>
    public static string Known => Names.Count == 1 ? Names[0] : $"{string.Join(", ", Names.Take(Names.Count - 1))} or {Names[^1]}";

    public static string Of(T value) => Members.First(m => EqualityComparer<T>.Default.Equals(m.Value, value)).Name;

    /// <summary>The value named by <paramref name="text"/> (trimmed, any case); false when no member has that name.</summary>
    public static bool TryParse(string? text, out T value)
    {
        var t = text?.Trim();
        foreach (var m in Members)
            if (string.Equals(m.Name, t, StringComparison.OrdinalIgnoreCase)) { value = m.Value; return true; }
        value = default;
        return false;
    }

    /// <summary>The value named by <paramref name="text"/>, or an <see cref="ArgumentException"/> saying what <paramref name="what"/> must be.</summary>
    public static T Parse(string? text, string what) => TryParse(text, out var v)
        ? v : throw new ArgumentException($"{what} must be {Known}, got '{text}'");
}

public static class WireNameExtensions
{
    /// <summary>The value's text (<see cref="WireName{T}"/>).</summary>
    public static string ToWire<T>(this T value) where T : struct, Enum => WireName<T>.Of(value);
}
