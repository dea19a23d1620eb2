namespace NasActors.Core.Determinism;

/// <summary>
/// A small, fast, reproducible generator (SplitMix64 seeding xoshiro256**), identical on every platform and .NET
/// version. Searches derive one per purpose and counter with <see cref="For"/>, so no generator position has to
/// live only in memory: replaying the same events re-creates the same draws (see design.md, Determinism).
/// </summary>
public sealed class DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public DeterministicRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>A generator for one purpose at one counter value of one search: hash(seed, purpose, counter...).</summary>
    public static DeterministicRandom For(long seed, string purpose, params long[] counters) =>
        new(Mix(seed, purpose, counters));

    /// <summary>Stable 64-bit mix of a seed, a purpose name and counters.</summary>
    public static ulong Mix(long seed, string purpose, params long[] counters)
    {
        var h = 0xcbf29ce484222325UL ^ (ulong)seed;
        h = Avalanche(h);
        foreach (var ch in purpose) { h ^= ch; h *= 0x100000001b3UL; }
        h = Avalanche(h);
        foreach (var c in counters) { h ^= (ulong)c; h = Avalanche(h * 0x9e3779b97f4a7c15UL); }
        return h;
    }

    public ulong NextULong()
    {
        var result = RotL(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t; _s3 = RotL(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [0, maxExclusive), without modulo bias.</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive));
        var bound = (ulong)maxExclusive;
        var threshold = (0UL - bound) % bound;
        while (true)
        {
            var r = NextULong();
            if (r >= threshold) return (int)(r % bound);
        }
    }

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal draw (Box-Muller).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A uniformly random permutation of 0..n-1 (Fisher-Yates).</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (var i = 0; i < n; i++) p[i] = i;
        Shuffle(p);
        return p;
    }

    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong RotL(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9e3779b97f4a7c15UL;
        return Avalanche(x);
    }

    private static ulong Avalanche(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }
}
