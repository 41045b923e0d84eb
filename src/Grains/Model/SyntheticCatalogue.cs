namespace OrleansHub.Grains.Model;

/// <summary>A generated song: its Gaussian and the genre cluster it was drawn from.</summary>
public sealed record SyntheticSong(GaussianModel Model, string Genre, double[] Mean, double[] Covariance);

/// <summary>
/// Seeded generator of realistic MFCC Gaussians for scale tests without audio.
/// </summary>
/// <remarks>
/// <para>The model is calibrated on the project's real game-soundtrack catalogue (272 songs of
/// 13 games through the SPEC §1 pipeline):</para>
/// <list type="bullet">
/// <item>Genres: <c>genres</c> clusters. A genre centre is the catalogue centre (c0 ≈ 23, c1 ≈ 60,
/// others 0) plus N(0, (0.8·sᵢ)²) per coefficient, with sᵢ the spread of song means in the real
/// catalogue (74, 25, 15, then decaying geometrically to 1.7 at c19). A song mean is its genre
/// centre plus N(0, (0.6·sᵢ)²).</item>
/// <item>Variances: median vᵢ of the real catalogue (1260, 340, 152, decaying to 15 at c19) times a
/// log-normal factor exp(0.6·z) per song and coefficient, times a genre factor exp(0.3·z).</item>
/// <item>Correlations: a random correlation matrix normalised from A·Aᵀ + I with A 20×4 standard
/// normal, so neighbouring coefficients correlate like real MFCCs (|ρ| up to about 0.7).</item>
/// <item>Heavy tail: 2 % of songs are "thin" (synthetic, near-silent or electronic): their variances
/// above c2 are divided by 200, which makes their SKL distances to everyone enormous, as the
/// outliers of real catalogues do.</item>
/// </list>
/// <para>All randomness comes from <see cref="SplitMix64"/>, so a (count, seed, genres) triple always
/// yields the same catalogue, and a prefix of a larger catalogue equals the smaller one.</para>
/// </remarks>
public static class SyntheticCatalogue
{
    private const int D = GaussianModel.Dimension;

    /// <summary>Generates <paramref name="count"/> songs.</summary>
    public static IReadOnlyList<SyntheticSong> Generate(int count, ulong seed, int genres = 16) => Generate(0, count, seed, genres);

    /// <summary>
    /// Generates songs <paramref name="start"/> .. start + count − 1 of the catalogue of this seed:
    /// the same songs as the corresponding slice of <see cref="Generate(int, ulong, int)"/>, so
    /// disjoint slices can be generated in parallel.
    /// </summary>
    public static IReadOnlyList<SyntheticSong> Generate(int start, int count, ulong seed, int genres)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(genres);
        var spread = new double[D];
        var variance = new double[D];
        double[] centre = [23, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        spread[0] = 74;
        spread[1] = 25;
        variance[0] = 1260;
        variance[1] = 340;
        for (var i = 2; i < D; i++)
        {
            spread[i] = 15 * Math.Pow(1.7 / 15, (i - 2) / 17.0);
            variance[i] = 152 * Math.Pow(15 / 152.0, (i - 2) / 17.0);
        }

        var genreRng = new SplitMix64(seed ^ 0x5EED_6E4E_0000_0001UL);
        var genreCentres = new double[genres][];
        var genreScale = new double[genres];
        for (var g = 0; g < genres; g++)
        {
            genreCentres[g] = new double[D];
            for (var i = 0; i < D; i++)
            {
                genreCentres[g][i] = centre[i] + (0.8 * spread[i] * genreRng.NextGaussian());
            }

            genreScale[g] = Math.Exp(0.3 * genreRng.NextGaussian());
        }

        var songs = new SyntheticSong[count];
        for (var s = start; s < start + count; s++)
        {
            // One generator per song: song s is the same whatever the catalogue size.
            var rng = new SplitMix64(seed + (0x9E3779B97F4A7C15UL * (ulong)(s + 1)));
            var g = (int)rng.NextBelow((ulong)genres);
            var mean = new double[D];
            var sd = new double[D];
            var thin = rng.NextDouble() < 0.02;
            for (var i = 0; i < D; i++)
            {
                mean[i] = genreCentres[g][i] + (0.6 * spread[i] * rng.NextGaussian());
                var v = variance[i] * genreScale[g] * Math.Exp(0.6 * rng.NextGaussian());
                if (thin && i > 2)
                {
                    v /= 200;
                }

                sd[i] = Math.Sqrt(v);
            }

            var a = new double[D * 4];
            for (var i = 0; i < a.Length; i++)
            {
                a[i] = rng.NextGaussian();
            }

            var cov = new double[D * D];
            for (var i = 0; i < D; i++)
            {
                for (var j = 0; j < D; j++)
                {
                    var c = i == j ? 1.0 : 0.0;
                    for (var r = 0; r < 4; r++)
                    {
                        c += a[(i * 4) + r] * a[(j * 4) + r];
                    }

                    cov[(i * D) + j] = c;
                }
            }

            // Normalise to a correlation matrix, then scale by the standard deviations.
            var diag = new double[D];
            for (var i = 0; i < D; i++)
            {
                diag[i] = Math.Sqrt(cov[(i * D) + i]);
            }

            for (var i = 0; i < D; i++)
            {
                for (var j = 0; j < D; j++)
                {
                    cov[(i * D) + j] = cov[(i * D) + j] / (diag[i] * diag[j]) * sd[i] * sd[j];
                }
            }

            songs[s - start] = new SyntheticSong(GaussianModel.FromMoments(mean, cov), $"genre-{g:D2}", mean, cov);
        }

        return songs;
    }
}
