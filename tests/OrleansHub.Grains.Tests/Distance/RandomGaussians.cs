using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Tests.Distance;

/// <summary>
/// Seeded random <see cref="GaussianModel"/> instances for tests (built with
/// <see cref="GaussianModel.FromMoments"/>). Copy freely.
/// </summary>
internal static class RandomGaussians
{
    private const int D = GaussianModel.Dimension;

    /// <summary>
    /// Realistic MFCC scale: c0 mean in −300..0 with variance 100..500, higher coefficients mean
    /// ±20 with variances 1..50, a random correlation structure (well conditioned).
    /// </summary>
    public static GaussianModel Mfcc(Random random)
    {
        var mean = new double[D];
        var std = new double[D];
        mean[0] = -300 * random.NextDouble();
        std[0] = Math.Sqrt(100 + (400 * random.NextDouble()));
        for (var i = 1; i < D; i++)
        {
            mean[i] = -20 + (40 * random.NextDouble());
            std[i] = Math.Sqrt(1 + (49 * random.NextDouble()));
        }

        // Correlation matrix from B·Bᵀ with B 20×40 Gaussian, normalised to unit diagonal.
        var gram = Gram(random, 40);
        var cov = new double[D * D];
        for (var i = 0; i < D; i++)
        {
            for (var j = 0; j < D; j++)
            {
                var corr = gram[(i * D) + j] / Math.Sqrt(gram[(i * D) + i] * gram[(j * D) + j]);
                cov[(i * D) + j] = corr * std[i] * std[j];
            }
        }

        return GaussianModel.FromMoments(mean, cov);
    }

    /// <summary>Many independent <see cref="Mfcc"/> Gaussians.</summary>
    public static List<GaussianModel> MfccList(Random random, int count)
    {
        var list = new List<GaussianModel>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(Mfcc(random));
        }

        return list;
    }

    /// <summary>
    /// Ill-conditioned: V·diag(λ)·Vᵀ with a random orthogonal V and eigenvalues log-uniform in
    /// [<paramref name="smallest"/>, <paramref name="largest"/>]; mean as for <see cref="Mfcc"/>.
    /// </summary>
    public static GaussianModel IllConditioned(Random random, double smallest = 1e-4, double largest = 1e4)
    {
        var v = Orthogonal(random);
        var lambda = new double[D];
        for (var i = 0; i < D; i++)
        {
            lambda[i] = smallest * Math.Pow(largest / smallest, random.NextDouble());
        }

        lambda[0] = smallest;
        lambda[1] = largest;
        var cov = new double[D * D];
        for (var i = 0; i < D; i++)
        {
            for (var j = 0; j < D; j++)
            {
                double s = 0;
                for (var m = 0; m < D; m++)
                {
                    s += v[(i * D) + m] * lambda[m] * v[(j * D) + m];
                }

                cov[(i * D) + j] = s;
            }
        }

        return GaussianModel.FromMoments(RandomMean(random), cov);
    }

    /// <summary>
    /// Near-singular: B·Bᵀ of rank <paramref name="rank"/> (scaled to MFCC variances), so the
    /// model repairs 20 − rank eigenvalues up to the 1e-4 floor.
    /// </summary>
    public static GaussianModel NearSingular(Random random, int rank = 5)
    {
        var gram = Gram(random, rank);
        for (var i = 0; i < gram.Length; i++)
        {
            gram[i] *= 10;
        }

        return GaussianModel.FromMoments(RandomMean(random), gram);
    }

    /// <summary>The same covariance as <paramref name="g"/> with every mean coefficient shifted by <paramref name="shift"/>.</summary>
    public static GaussianModel Shifted(GaussianModel g, double shift)
    {
        var mean = g.Mean.ToArray();
        for (var i = 0; i < D; i++)
        {
            mean[i] += shift;
        }

        return GaussianModel.FromMoments(mean, g.Covariance);
    }

    private static double[] RandomMean(Random random)
    {
        var mean = new double[D];
        mean[0] = -300 * random.NextDouble();
        for (var i = 1; i < D; i++)
        {
            mean[i] = -20 + (40 * random.NextDouble());
        }

        return mean;
    }

    private static double[] Gram(Random random, int columns)
    {
        var b = new double[D * columns];
        for (var i = 0; i < b.Length; i++)
        {
            b[i] = Normal(random);
        }

        var gram = new double[D * D];
        for (var i = 0; i < D; i++)
        {
            for (var j = 0; j < D; j++)
            {
                double s = 0;
                for (var m = 0; m < columns; m++)
                {
                    s += b[(i * columns) + m] * b[(j * columns) + m];
                }

                gram[(i * D) + j] = s / columns;
            }
        }

        return gram;
    }

    /// <summary>Random orthogonal matrix (columns) by Gram-Schmidt of a Gaussian matrix.</summary>
    private static double[] Orthogonal(Random random)
    {
        var v = new double[D * D];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = Normal(random);
        }

        for (var c = 0; c < D; c++)
        {
            for (var pass = 0; pass < 2; pass++)
            {
                for (var p = 0; p < c; p++)
                {
                    double dot = 0;
                    for (var r = 0; r < D; r++)
                    {
                        dot += v[(r * D) + c] * v[(r * D) + p];
                    }

                    for (var r = 0; r < D; r++)
                    {
                        v[(r * D) + c] -= dot * v[(r * D) + p];
                    }
                }
            }

            double norm = 0;
            for (var r = 0; r < D; r++)
            {
                norm += v[(r * D) + c] * v[(r * D) + c];
            }

            norm = Math.Sqrt(norm);
            for (var r = 0; r < D; r++)
            {
                v[(r * D) + c] /= norm;
            }
        }

        return v;
    }

    private static double Normal(Random random)
    {
        // Box-Muller; 1 − U avoids log(0).
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
