using OrleansHub.Grains.Analysis;

namespace OrleansHub.Grains.Tests.Analysis;

/// <summary>Distance matrices that stress the tie rule and the bounds: each is built from a seed.</summary>
internal static class TestMatrices
{
    /// <summary>Euclidean distances of Gaussian points in 30 dimensions (hubness-prone).</summary>
    public static double[,] Euclidean(int n, int seed, int dims = 30)
    {
        var rng = new Random(seed);
        var p = new double[n, dims];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < dims; j++)
            {
                p[i, j] = NextGaussian(rng);
            }
        }

        var d = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var c = 0; c < dims; c++)
                {
                    s += (p[i, c] - p[j, c]) * (p[i, c] - p[j, c]);
                }

                d[i, j] = Math.Sqrt(s);
            }
        }

        return d;
    }

    /// <summary>Symmetric integer distances in 1..levels: very many exact ties.</summary>
    public static double[,] ManyTies(int n, int seed, int levels = 3)
    {
        var rng = new Random(seed);
        var d = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                d[i, j] = d[j, i] = rng.Next(1, levels + 1);
            }
        }

        return d;
    }

    /// <summary>Heavy tailed like real SKL catalogues: a few songs are enormously far from everyone.</summary>
    public static double[,] HeavyTailed(int n, int seed)
    {
        var d = Euclidean(n, seed, 20);
        var rng = new Random(seed + 1);
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                // Squared log-normal noise gives SKL-like tails; a few outlier songs multiply by 1e4.
                var v = d[i, j] * Math.Exp(2 * NextGaussian(rng));
                if (i % 17 == 3 || j % 23 == 5)
                {
                    v *= 1e4;
                }

                d[i, j] = d[j, i] = v;
            }
        }

        return d;
    }

    /// <summary>An asymmetric matrix (MP is defined on rows; nothing may assume symmetry).</summary>
    public static double[,] Asymmetric(int n, int seed)
    {
        var rng = new Random(seed);
        var d = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                d[i, j] = i == j ? 0 : Math.Round(rng.NextDouble() * 20) / 2;
            }
        }

        return d;
    }

    /// <summary>Distances of 0 written as +0 and −0 at random: they must compare equal everywhere.</summary>
    public static double[,] SignedZeros(int n, int seed)
    {
        var d = ManyTies(n, seed, 3);
        var rng = new Random(seed);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                if (i != j && d[i, j] == 1)
                {
                    d[i, j] = rng.Next(2) == 0 ? 0.0 : -0.0;
                }
            }
        }

        return d;
    }

    public static DistanceMatrix ToMatrix(double[,] d)
    {
        var n = d.GetLength(0);
        var values = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                values[(i * n) + j] = d[i, j];
            }
        }

        return DistanceMatrix.Create(values, n);
    }

    public static IEnumerable<object[]> Cases()
    {
        yield return ["euclidean-120", Euclidean(120, 1)];
        yield return ["euclidean-257", Euclidean(257, 2)];
        yield return ["ties-90", ManyTies(90, 3)];
        yield return ["ties-binary-70", ManyTies(70, 4, 2)];
        yield return ["heavy-150", HeavyTailed(150, 5)];
        yield return ["asymmetric-80", Asymmetric(80, 6)];
        yield return ["all-equal-12", ManyTies(12, 7, 1)];
        yield return ["tiny-2", Euclidean(2, 8)];
        yield return ["tiny-3", Euclidean(3, 9)];
        yield return ["tiny-6", ManyTies(6, 10, 2)];
        yield return ["signed-zeros-40", SignedZeros(40, 11)];
    }

    private static double NextGaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
