namespace OrleansHub.Audio;

/// <summary>
/// Triangular mel filters on the HTK mel scale m(f) = 2595·log10(1 + f/700), without area
/// normalisation (every triangle peaks at 1), stored sparsely as one contiguous run of FFT bins
/// per band. Band b rises from edge b to edge b+1 and falls to edge b+2, where the
/// bands + 2 edges are equally spaced in mel between the low and high frequency.
/// </summary>
internal sealed class MelFilterBank
{
    private readonly int[] _firstBin;
    private readonly double[][] _weights;

    /// <summary>Builds the bank for a real FFT of <paramref name="fftLength"/> points.</summary>
    public MelFilterBank(int bands, int fftLength, double sampleRate, double lowHz, double highHz)
    {
        Bands = bands;
        BinCount = (fftLength / 2) + 1;
        var lowMel = HzToMel(lowHz);
        var highMel = HzToMel(highHz);
        var edges = new double[bands + 2];
        for (var i = 0; i < edges.Length; i++)
        {
            edges[i] = MelToHz(lowMel + ((highMel - lowMel) * i / (bands + 1)));
        }

        _firstBin = new int[bands];
        _weights = new double[bands][];
        var scratch = new double[BinCount];
        for (var b = 0; b < bands; b++)
        {
            double lower = edges[b], centre = edges[b + 1], upper = edges[b + 2];
            var first = -1;
            var last = -1;
            for (var k = 0; k < BinCount; k++)
            {
                var f = k * sampleRate / fftLength;
                var w = Math.Max(0.0, Math.Min((f - lower) / (centre - lower), (upper - f) / (upper - centre)));
                scratch[k] = w;
                if (w > 0)
                {
                    if (first < 0)
                    {
                        first = k;
                    }

                    last = k;
                }
            }

            if (first < 0)
            {
                // A band narrower than one bin spacing has no weight; keep an empty run.
                _firstBin[b] = 0;
                _weights[b] = [];
                continue;
            }

            _firstBin[b] = first;
            _weights[b] = scratch.AsSpan(first, last - first + 1).ToArray();
        }
    }

    /// <summary>Number of bands.</summary>
    public int Bands { get; }

    /// <summary>Number of FFT bins expected (n/2 + 1).</summary>
    public int BinCount { get; }

    /// <summary>HTK mel of a frequency in Hz.</summary>
    public static double HzToMel(double hz) => 2595.0 * Math.Log10(1.0 + (hz / 700.0));

    /// <summary>Inverse of <see cref="HzToMel"/>.</summary>
    public static double MelToHz(double mel) => 700.0 * (Math.Pow(10.0, mel / 2595.0) - 1.0);

    /// <summary>Weight of FFT bin <paramref name="bin"/> in band <paramref name="band"/> (dense view, for tests).</summary>
    public double Weight(int band, int bin)
    {
        var offset = bin - _firstBin[band];
        var w = _weights[band];
        return offset >= 0 && offset < w.Length ? w[offset] : 0.0;
    }

    /// <summary>Band energies: mel[b] = Σ_k w[b,k]·power[k].</summary>
    public void Apply(ReadOnlySpan<double> power, Span<double> mel)
    {
        for (var b = 0; b < _weights.Length; b++)
        {
            var w = _weights[b];
            var p = power.Slice(_firstBin[b], w.Length);
            double sum = 0;
            for (var i = 0; i < w.Length; i++)
            {
                sum += w[i] * p[i];
            }

            mel[b] = sum;
        }
    }
}
