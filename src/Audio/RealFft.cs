namespace OrleansHub.Audio;

/// <summary>
/// Radix-2 FFT of a real signal of length <c>n</c> (a power of two, at least 4), computed as one
/// complex FFT of length n/2 over the even/odd sample pairs followed by the standard split step.
/// Bit-reversal table and twiddles are precomputed; <see cref="PowerSpectrum"/> allocates nothing.
/// </summary>
/// <remarks>
/// Double precision throughout; the rounding error of the power spectrum is about
/// 1e-15·log2(n) relative to the total signal energy. Instances hold scratch buffers and are not
/// thread-safe: use one per thread.
/// </remarks>
internal sealed class RealFft
{
    private readonly int _n;
    private readonly int _half;
    private readonly int[] _bitReverse;
    private readonly double[] _cos;
    private readonly double[] _sin;
    private readonly double[] _splitCos;
    private readonly double[] _splitSin;
    private readonly double[] _re;
    private readonly double[] _im;

    /// <summary>Creates the transform for real length <paramref name="n"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">n is not a power of two ≥ 4.</exception>
    public RealFft(int n)
    {
        if (n < 4 || (n & (n - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, "The FFT length must be a power of two, at least 4.");
        }

        _n = n;
        _half = n / 2;
        _bitReverse = new int[_half];
        var bits = System.Numerics.BitOperations.Log2((uint)_half);
        for (var i = 0; i < _half; i++)
        {
            var r = 0;
            for (var b = 0; b < bits; b++)
            {
                r |= ((i >> b) & 1) << (bits - 1 - b);
            }

            _bitReverse[i] = r;
        }

        _cos = new double[_half / 2];
        _sin = new double[_half / 2];
        for (var k = 0; k < _half / 2; k++)
        {
            var angle = -2.0 * Math.PI * k / _half;
            _cos[k] = Math.Cos(angle);
            _sin[k] = Math.Sin(angle);
        }

        _splitCos = new double[_half + 1];
        _splitSin = new double[_half + 1];
        for (var k = 0; k <= _half; k++)
        {
            var angle = 2.0 * Math.PI * k / n;
            _splitCos[k] = Math.Cos(angle);
            _splitSin[k] = Math.Sin(angle);
        }

        _re = new double[_half];
        _im = new double[_half];
    }

    /// <summary>Real input length n.</summary>
    public int Length => _n;

    /// <summary>
    /// Power spectrum |X[k]|² for k = 0…n/2 of the unnormalised DFT X[k] = Σ x[t]·e^(−2πikt/n).
    /// </summary>
    /// <param name="input">n real samples.</param>
    /// <param name="power">n/2 + 1 outputs.</param>
    public void PowerSpectrum(ReadOnlySpan<double> input, Span<double> power)
    {
        if (input.Length != _n)
        {
            throw new ArgumentException($"Expected {_n} samples, got {input.Length}.", nameof(input));
        }

        if (power.Length != _half + 1)
        {
            throw new ArgumentException($"Expected {_half + 1} outputs, got {power.Length}.", nameof(power));
        }

        Transform(input);
        var re = _re;
        var im = _im;
        var half = _half;
        for (var k = 0; k <= half; k++)
        {
            var a = k == half ? 0 : k;
            var b = k == 0 ? 0 : half - k;
            var zr = re[a];
            var zi = im[a];
            var cr = re[b];
            var ci = -im[b];

            // Even part E = (Z[k] + conj Z[h−k]) / 2, odd part O = (Z[k] − conj Z[h−k]) / (2i).
            var er = 0.5 * (zr + cr);
            var ei = 0.5 * (zi + ci);
            var or = 0.5 * (zi - ci);
            var oi = -0.5 * (zr - cr);

            // X[k] = E + e^(−2πik/n)·O.
            var c = _splitCos[k];
            var s = _splitSin[k];
            var xr = er + (c * or) + (s * oi);
            var xi = ei + (c * oi) - (s * or);
            power[k] = (xr * xr) + (xi * xi);
        }
    }

    /// <summary>Complex spectrum X[k], k = 0…n/2 (for tests and diagnostics).</summary>
    public void Spectrum(ReadOnlySpan<double> input, Span<double> real, Span<double> imaginary)
    {
        if (input.Length != _n || real.Length != _half + 1 || imaginary.Length != _half + 1)
        {
            throw new ArgumentException($"Expected {_n} inputs and {_half + 1} outputs.", nameof(input));
        }

        Transform(input);
        for (var k = 0; k <= _half; k++)
        {
            var a = k == _half ? 0 : k;
            var b = k == 0 ? 0 : _half - k;
            var zr = _re[a];
            var zi = _im[a];
            var cr = _re[b];
            var ci = -_im[b];
            var er = 0.5 * (zr + cr);
            var ei = 0.5 * (zi + ci);
            var or = 0.5 * (zi - ci);
            var oi = -0.5 * (zr - cr);
            var c = _splitCos[k];
            var s = _splitSin[k];
            real[k] = er + (c * or) + (s * oi);
            imaginary[k] = ei + (c * oi) - (s * or);
        }
    }

    private void Transform(ReadOnlySpan<double> input)
    {
        var re = _re;
        var im = _im;
        var half = _half;
        var rev = _bitReverse;
        for (var i = 0; i < half; i++)
        {
            var j = rev[i];
            re[j] = input[2 * i];
            im[j] = input[(2 * i) + 1];
        }

        // Size-2 butterflies need no twiddles.
        for (var a = 0; a < half; a += 2)
        {
            var tr = re[a + 1];
            var ti = im[a + 1];
            re[a + 1] = re[a] - tr;
            im[a + 1] = im[a] - ti;
            re[a] += tr;
            im[a] += ti;
        }

        for (var size = 4; size <= half; size <<= 1)
        {
            var halfSize = size >> 1;
            var step = half / size;
            for (var k = 0; k < halfSize; k++)
            {
                var wr = _cos[k * step];
                var wi = _sin[k * step];
                for (var a = k; a < half; a += size)
                {
                    var b = a + halfSize;
                    var br = re[b];
                    var bi = im[b];
                    var tr = (wr * br) - (wi * bi);
                    var ti = (wr * bi) + (wi * br);
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
        }
    }
}
