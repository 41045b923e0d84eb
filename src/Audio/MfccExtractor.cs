using System.Numerics.Tensors;
using OrleansHub.Grains.Model;

namespace OrleansHub.Audio;

/// <summary>
/// The MFCC front end of SPEC §1 on a mono 22,050 Hz excerpt: periodic Hann window of 1,024
/// samples, hop 512, centred frames with reflect padding, power spectrum, 36 HTK mel bands from 0
/// to 11,025 Hz without area normalisation, 10·log10(max(P, 1e-10)) floored at the excerpt's
/// maximum − 80 dB, orthonormal DCT-II keeping 20 coefficients (c0 included).
/// </summary>
/// <remarks>
/// Window, twiddles, filterbank and DCT matrix are precomputed; frame processing allocates
/// nothing (the per-excerpt frame matrices are the only allocations). Instances are not
/// thread-safe: use one per worker.
/// </remarks>
public sealed class MfccExtractor
{
    /// <summary>STFT frame length in samples.</summary>
    public const int FrameLength = 1024;

    /// <summary>STFT hop in samples.</summary>
    public const int Hop = 512;

    /// <summary>Number of mel bands.</summary>
    public const int MelBands = 36;

    /// <summary>Number of cepstral coefficients kept (c0 included).</summary>
    public const int Coefficients = GaussianModel.Dimension;

    /// <summary>Dynamic range kept below the excerpt's loudest mel value, in dB.</summary>
    public const double TopDb = 80.0;

    /// <summary>Power floor before the logarithm.</summary>
    public const double PowerFloor = 1e-10;

    private readonly RealFft _fft = new(FrameLength);
    private readonly MelFilterBank _bank = new(MelBands, FrameLength, AudioPipeline.SampleRate, 0.0, AudioPipeline.SampleRate / 2.0);
    private readonly double[] _window = CreatePeriodicHann(FrameLength);
    private readonly double[] _dct = CreateOrthonormalDct(MelBands, Coefficients);
    private readonly double[] _frame = new double[FrameLength];
    private readonly double[] _power = new double[(FrameLength / 2) + 1];

    /// <summary>Number of centred frames for a signal of <paramref name="samples"/> samples: 1 + samples / 512.</summary>
    public static int FrameCount(int samples) => 1 + (samples / Hop);

    /// <summary>
    /// Mel band energies in dB for every centred frame, floored at the maximum − 80 dB; row-major
    /// frames × 36.
    /// </summary>
    /// <param name="signal">Mono samples at 22,050 Hz; more than 512 (reflect padding needs it).</param>
    /// <exception cref="ArgumentException">Too short a signal.</exception>
    public double[] MelDecibels(ReadOnlySpan<float> signal)
    {
        if (signal.Length <= FrameLength / 2)
        {
            throw new ArgumentException($"At least {(FrameLength / 2) + 1} samples are needed for reflect padding, got {signal.Length}.", nameof(signal));
        }

        var frames = FrameCount(signal.Length);
        var db = new double[frames * MelBands];
        var max = double.NegativeInfinity;
        for (var t = 0; t < frames; t++)
        {
            FillFrame(signal, (t * Hop) - (FrameLength / 2));
            _fft.PowerSpectrum(_frame, _power);
            var row = db.AsSpan(t * MelBands, MelBands);
            _bank.Apply(_power, row);
            TensorPrimitives.Max(row, PowerFloor, row);
            TensorPrimitives.Log10(row, row);
            TensorPrimitives.Multiply(row, 10.0, row);
            max = Math.Max(max, TensorPrimitives.Max<double>(row));
        }

        var floor = max - TopDb;
        for (var i = 0; i < db.Length; i++)
        {
            if (db[i] < floor)
            {
                db[i] = floor;
            }
        }

        return db;
    }

    /// <summary>MFCC frames (row-major frames × 20) of a mono 22,050 Hz signal.</summary>
    public double[] Mfcc(ReadOnlySpan<float> signal)
    {
        var db = MelDecibels(signal);
        var frames = db.Length / MelBands;
        var mfcc = new double[frames * Coefficients];
        for (var t = 0; t < frames; t++)
        {
            ApplyDct(db.AsSpan(t * MelBands, MelBands), mfcc.AsSpan(t * Coefficients, Coefficients));
        }

        return mfcc;
    }

    /// <summary>The Gaussian of the signal's MFCC frames (<see cref="GaussianModel.FromFrames"/>).</summary>
    public GaussianModel Gaussian(ReadOnlySpan<float> signal)
    {
        var mfcc = Mfcc(signal);
        return GaussianModel.FromFrames(mfcc, mfcc.Length / Coefficients);
    }

    /// <summary>Orthonormal DCT-II of 36 values, first 20 outputs.</summary>
    internal void ApplyDct(ReadOnlySpan<double> bands, Span<double> coefficients)
    {
        for (var k = 0; k < Coefficients; k++)
        {
            var basis = _dct.AsSpan(k * MelBands, MelBands);
            double sum = 0;
            for (var m = 0; m < MelBands; m++)
            {
                sum += basis[m] * bands[m];
            }

            coefficients[k] = sum;
        }
    }

    /// <summary>Periodic Hann window w[n] = 0.5 − 0.5·cos(2πn/N).</summary>
    internal static double[] CreatePeriodicHann(int length)
    {
        var w = new double[length];
        for (var n = 0; n < length; n++)
        {
            w[n] = 0.5 - (0.5 * Math.Cos(2.0 * Math.PI * n / length));
        }

        return w;
    }

    /// <summary>Row-major DCT-II basis, rows k &lt; keep: s_k·cos(πk(2m+1)/(2M)), s_0 = √(1/M), s_k = √(2/M).</summary>
    internal static double[] CreateOrthonormalDct(int size, int keep)
    {
        var m = new double[keep * size];
        for (var k = 0; k < keep; k++)
        {
            var scale = k == 0 ? Math.Sqrt(1.0 / size) : Math.Sqrt(2.0 / size);
            for (var i = 0; i < size; i++)
            {
                m[(k * size) + i] = scale * Math.Cos(Math.PI * k * ((2 * i) + 1) / (2.0 * size));
            }
        }

        return m;
    }

    /// <summary>Reflect index (numpy 'reflect', edge sample not repeated) into [0, length).</summary>
    internal static int Reflect(int index, int length)
    {
        if (index < 0)
        {
            index = -index;
        }

        if (index >= length)
        {
            index = (2 * (length - 1)) - index;
        }

        return index;
    }

    private void FillFrame(ReadOnlySpan<float> signal, int start)
    {
        var frame = _frame;
        var window = _window;
        if (start >= 0 && start + FrameLength <= signal.Length)
        {
            var src = signal.Slice(start, FrameLength);
            for (var i = 0; i < FrameLength; i++)
            {
                frame[i] = window[i] * src[i];
            }

            return;
        }

        for (var i = 0; i < FrameLength; i++)
        {
            frame[i] = window[i] * signal[Reflect(start + i, signal.Length)];
        }
    }
}
