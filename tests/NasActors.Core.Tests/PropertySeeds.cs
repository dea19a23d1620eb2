using CsCheck;

namespace NasActors.Core.Tests;

/// <summary>
/// Fixed CsCheck seeds, so property tests draw the same cases on every run (CI must not pass or fail by chance).
/// CsCheck's own <c>Sample(iter: n)</c> draws fresh random seeds each run; here each case runs as
/// <c>Sample(assert, seed: s, iter: 1)</c>, which keeps CsCheck's shrinking and its seed in the failure message.
/// </summary>
public static class PropertySeeds
{
    /// <summary><paramref name="count"/> seeds, a pure function of (<paramref name="test"/>, <paramref name="count"/>).</summary>
    public static IEnumerable<string> For(string test, int count)
    {
        var stream = (uint)StableHash(test);
        for (var i = 0; i < count; i++) yield return new PCG(stream, (ulong)i * 0x9E3779B97F4A7C15UL + 1).ToString();
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            var h = (int)2166136261;
            foreach (var c in s) h = (h ^ c) * 16777619;
            return h;
        }
    }
}
