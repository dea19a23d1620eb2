using System.Globalization;

namespace NasActors.Core.Controllers;

/// <summary>A bad controller setting (or another owner's, e.g. a training method's); the message names the owner and the key.</summary>
public sealed class ControllerSettingsException(string controller, string key, string message, string kind = "Controller")
    : ArgumentException($"{kind} '{controller}', setting '{key}': {message}")
{
    public string Controller { get; } = controller;
    public string Key { get; } = key;
    /// <summary>What is wrong with the value, without the owner and key.</summary>
    public string Problem { get; } = message;
}

/// <summary>
/// Reads a controller's settings from key/value text (HOCON specs, <c>--set key=value</c>). Keys are
/// case-insensitive and may use '-' or '_'; an unknown key is an error that lists the known ones.
/// </summary>
public sealed class SettingsReader
{
    private readonly string _controller;
    private readonly string _kind;
    private readonly Dictionary<string, (string Key, string Value)> _values;
    private readonly HashSet<string> _known = [];

    /// <param name="kind">What owns the settings, in messages: <c>Controller</c>, <c>Training method</c>.</param>
    public SettingsReader(string controller, IReadOnlyDictionary<string, string>? values, string kind = "Controller")
    {
        _controller = controller;
        _kind = kind;
        _values = new Dictionary<string, (string, string)>();
        foreach (var (k, v) in values ?? new Dictionary<string, string>())
            if (!_values.TryAdd(Normalize(k), (k, v)))
                throw new ControllerSettingsException(controller, k, "given twice", kind);
    }

    private static string Normalize(string key) => key.Trim().ToLowerInvariant().Replace('-', '_');

    /// <summary>The value given for a key, and the key as the user wrote it (for messages).</summary>
    private string? Raw(ref string key)
    {
        _known.Add(Normalize(key));
        if (!_values.TryGetValue(Normalize(key), out var kv)) return null;
        key = kv.Key;
        return kv.Value;
    }

    public int Int(string key, int defaultValue, int min = int.MinValue, int max = int.MaxValue)
    {
        var raw = Raw(ref key);
        if (raw is null) return defaultValue;
        if (!int.TryParse(raw.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new ControllerSettingsException(_controller, key, $"'{raw}' is not an integer", _kind);
        if (v < min || v > max)
            throw new ControllerSettingsException(_controller, key, OutOfRange(v.ToString(CultureInfo.InvariantCulture),
                min == int.MinValue ? null : min, max == int.MaxValue ? null : max), _kind);
        return v;
    }

    public double Double(string key, double defaultValue, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        var raw = Raw(ref key);
        if (raw is null) return defaultValue;
        if (!double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw new ControllerSettingsException(_controller, key, $"'{raw}' is not a number", _kind);
        if (v < min || v > max)
            throw new ControllerSettingsException(_controller, key, OutOfRange(v.ToString(CultureInfo.InvariantCulture),
                double.IsFinite(min) && min != double.MinValue ? min : null, double.IsFinite(max) && max != double.MaxValue ? max : null), _kind);
        return v;
    }

    /// <summary>"must be more than 0" for a positive-only setting, "must be at least 1", "must be in [0, 1]": the bound
    /// a user can act on, not the type's limits.</summary>
    private static string OutOfRange(string value, double? min, double? max)
    {
        static string F(double x) => x.ToString(CultureInfo.InvariantCulture);
        var bound = (min, max) switch
        {
            (double.Epsilon, null) => "must be more than 0",
            ({ } lo, null) => $"must be at least {F(lo)}",
            (null, { } hi) => $"must be at most {F(hi)}",
            (double.Epsilon, { } hi) => $"must be more than 0 and at most {F(hi)}",
            ({ } lo, { } hi) => $"must be in [{F(lo)}, {F(hi)}]",
            _ => "is out of range",
        };
        return $"{value}: {bound}";
    }

    public bool Bool(string key, bool defaultValue)
    {
        var raw = Raw(ref key);
        if (raw is null) return defaultValue;
        return raw.Trim().ToLowerInvariant() switch
        {
            "true" or "yes" or "on" or "1" => true,
            "false" or "no" or "off" or "0" => false,
            _ => throw new ControllerSettingsException(_controller, key, $"'{raw}' is not true or false", _kind),
        };
    }

    public string String(string key, string defaultValue, params string[] allowed)
    {
        var raw = Raw(ref key)?.Trim();
        if (raw is null) return defaultValue;
        if (allowed.Length > 0 && !allowed.Contains(raw, StringComparer.OrdinalIgnoreCase))
            throw new ControllerSettingsException(_controller, key, $"'{raw}' is not one of {string.Join(", ", allowed)}", _kind);
        return raw;
    }

    /// <summary>Fails on any key no reader asked for. Call after reading every setting.</summary>
    public void RejectUnknown()
    {
        foreach (var (norm, (key, _)) in _values)
            if (!_known.Contains(norm))
                throw new ControllerSettingsException(_controller, key, $"unknown setting (known: {string.Join(", ", _known.Order().Select(k => key.Contains('-') ? k.Replace('_', '-') : k))})", _kind);
    }

    /// <summary>A check across settings; fails naming <paramref name="key"/>.</summary>
    public void Require(bool condition, string key, string message)
    {
        if (!condition) throw new ControllerSettingsException(_controller, key, message, _kind);
    }
}
