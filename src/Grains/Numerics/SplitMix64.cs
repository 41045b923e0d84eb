namespace OrleansHub.Grains;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator whose sequence is fixed by its
/// definition, unlike <see cref="Random"/> whose algorithm may change between runtimes. Used
/// wherever a seed must reproduce the same result forever (samples, synthetic catalogues).
/// </summary>
public struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>Next 64 uniformly distributed bits.</summary>
    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, bound) without modulo bias (Lemire's multiply-shift with rejection).</summary>
    public ulong NextBelow(ulong bound)
    {
        ArgumentOutOfRangeException.ThrowIfZero(bound);
        var threshold = (0 - bound) % bound;
        while (true)
        {
            var r = Next();
            var product = Math.BigMul(r, bound, out var low);
            if (low >= threshold)
            {
                return product;
            }
        }
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal deviate (Box–Muller, one of the pair; deterministic).</summary>
    public double NextGaussian()
    {
        double u1;
        do
        {
            u1 = NextDouble();
        }
        while (u1 <= double.Epsilon);

        var u2 = NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
