namespace OrleansHub.Grains.Model;

/// <summary>
/// A song modelled as one multivariate Gaussian of its MFCC frames (SPEC §1):
/// mean μ, covariance Σ and inverse Σ⁻¹, all in float64, dimension <see cref="Dimension"/>.
/// </summary>
/// <remarks>
/// Every instance is numerically repaired the same way whatever its origin: the covariance is
/// symmetrised, eigen-decomposed, every eigenvalue λ is replaced by max(|λ|, 1e-4) and Σ is
/// rebuilt; Σ⁻¹ is formed from the same decomposition, so Σ·Σ⁻¹ = I to about 1e-12 relative to
/// the condition number. Instances are immutable.
/// </remarks>
public sealed class GaussianModel
{
    /// <summary>Number of MFCC coefficients (c0 included).</summary>
    public const int Dimension = 20;

    /// <summary>Length of a row-major covariance matrix.</summary>
    public const int CovarianceLength = Dimension * Dimension;

    /// <summary>Smallest eigenvalue kept; smaller magnitudes are raised to it.</summary>
    public const double EigenvalueFloor = 1e-4;

    private readonly double[] _mean;
    private readonly double[] _covariance;
    private readonly double[] _inverse;

    private GaussianModel(double[] mean, double[] covariance, double[] inverse, int repaired)
    {
        _mean = mean;
        _covariance = covariance;
        _inverse = inverse;
        RepairedEigenvalues = repaired;
    }

    /// <summary>Mean vector μ (length 20).</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>Repaired covariance Σ, row-major 20×20, exactly symmetric.</summary>
    public ReadOnlySpan<double> Covariance => _covariance;

    /// <summary>Inverse covariance Σ⁻¹, row-major 20×20, exactly symmetric.</summary>
    public ReadOnlySpan<double> InverseCovariance => _inverse;

    /// <summary>
    /// How many eigenvalues were changed by the floor max(|λ|, 1e-4): 0 for a well-conditioned
    /// covariance, positive for singular, indefinite or nearly singular input.
    /// </summary>
    public int RepairedEigenvalues { get; }

    /// <summary>
    /// Fits the Gaussian to MFCC frames: mean over frames, unbiased covariance (divide by N−1),
    /// then the repair described on the type.
    /// </summary>
    /// <param name="frames">Row-major frames × 20 coefficients.</param>
    /// <param name="frameCount">Number of frames N; at least 2.</param>
    /// <exception cref="ArgumentException">Wrong length, fewer than two frames or a non-finite value.</exception>
    public static GaussianModel FromFrames(ReadOnlySpan<double> frames, int frameCount)
    {
        if (frameCount < 2)
        {
            throw new ArgumentException($"At least 2 frames are needed for a covariance, got {frameCount}.", nameof(frameCount));
        }

        if (frames.Length != frameCount * Dimension)
        {
            throw new ArgumentException($"Expected {frameCount}x{Dimension} values, got {frames.Length}.", nameof(frames));
        }

        var mean = new double[Dimension];
        for (var f = 0; f < frameCount; f++)
        {
            var row = frames.Slice(f * Dimension, Dimension);
            for (var i = 0; i < Dimension; i++)
            {
                if (!double.IsFinite(row[i]))
                {
                    throw new ArgumentException($"Frame {f}, coefficient {i} is not finite.", nameof(frames));
                }

                mean[i] += row[i];
            }
        }

        for (var i = 0; i < Dimension; i++)
        {
            mean[i] /= frameCount;
        }

        // Two-pass (centred) accumulation: exact enough for MFCCs whose c0 is far from zero.
        var cov = new double[CovarianceLength];
        Span<double> centred = stackalloc double[Dimension];
        for (var f = 0; f < frameCount; f++)
        {
            var row = frames.Slice(f * Dimension, Dimension);
            for (var i = 0; i < Dimension; i++)
            {
                centred[i] = row[i] - mean[i];
            }

            for (var i = 0; i < Dimension; i++)
            {
                var ci = centred[i];
                for (var j = i; j < Dimension; j++)
                {
                    cov[(i * Dimension) + j] += ci * centred[j];
                }
            }
        }

        for (var i = 0; i < Dimension; i++)
        {
            for (var j = i; j < Dimension; j++)
            {
                var v = cov[(i * Dimension) + j] / (frameCount - 1);
                cov[(i * Dimension) + j] = v;
                cov[(j * Dimension) + i] = v;
            }
        }

        return Repair(mean, cov);
    }

    /// <summary>
    /// Builds the Gaussian from an imported mean and covariance (features files), applying the
    /// same symmetrisation and eigenvalue floor as <see cref="FromFrames"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong lengths or a non-finite value.</exception>
    public static GaussianModel FromMoments(ReadOnlySpan<double> mean, ReadOnlySpan<double> covariance)
    {
        if (mean.Length != Dimension)
        {
            throw new ArgumentException($"Mean must have {Dimension} values, got {mean.Length}.", nameof(mean));
        }

        if (covariance.Length != CovarianceLength)
        {
            throw new ArgumentException($"Covariance must have {CovarianceLength} values (20x20 row-major), got {covariance.Length}.", nameof(covariance));
        }

        for (var i = 0; i < Dimension; i++)
        {
            if (!double.IsFinite(mean[i]))
            {
                throw new ArgumentException($"Mean value {i} is not finite.", nameof(mean));
            }
        }

        for (var i = 0; i < CovarianceLength; i++)
        {
            if (!double.IsFinite(covariance[i]))
            {
                throw new ArgumentException($"Covariance value {i} (row {i / Dimension}, column {i % Dimension}) is not finite.", nameof(covariance));
            }
        }

        return Repair(mean.ToArray(), covariance.ToArray());
    }

    private static GaussianModel Repair(double[] mean, double[] covariance)
    {
        const int d = Dimension;
        Span<double> values = stackalloc double[d];
        var vectors = new double[CovarianceLength];
        SymmetricEigen.Decompose(covariance, d, values, vectors);

        var repaired = 0;
        for (var i = 0; i < d; i++)
        {
            var floored = Math.Max(Math.Abs(values[i]), EigenvalueFloor);
            if (floored != values[i])
            {
                repaired++;
            }

            values[i] = floored;
        }

        var cov = new double[CovarianceLength];
        var inv = new double[CovarianceLength];
        for (var i = 0; i < d; i++)
        {
            for (var j = i; j < d; j++)
            {
                double s = 0, si = 0;
                for (var m = 0; m < d; m++)
                {
                    var p = vectors[(i * d) + m] * vectors[(j * d) + m];
                    s += p * values[m];
                    si += p / values[m];
                }

                cov[(i * d) + j] = cov[(j * d) + i] = s;
                inv[(i * d) + j] = inv[(j * d) + i] = si;
            }
        }

        return new GaussianModel(mean, cov, inv, repaired);
    }
}
