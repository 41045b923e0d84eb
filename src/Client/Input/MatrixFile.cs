using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using OrleansHub.Grains.Analysis;

namespace OrleansHub.Client.Input;

/// <summary>A square distance matrix read from disk, with optional song ids (CSV header).</summary>
internal sealed record MatrixInput(DistanceMatrix Distances, IReadOnlyList<string> Ids);

/// <summary>
/// Readers of square distance matrices: NumPy <c>.npy</c> (float64 or float32, either byte order,
/// C order, format versions 1–3) and <c>.csv</c> (one row per line, comma separated, an optional
/// header row of song ids).
/// </summary>
internal static partial class MatrixFile
{
    /// <summary>Reads a matrix, choosing the format by extension.</summary>
    public static MatrixInput Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new InputException($"{path}: file not found.");
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        try
        {
            return extension switch
            {
                ".npy" => ReadNpy(path),
                ".csv" => ReadCsv(path),
                _ => throw new InputException($"{path}: unknown matrix format '{extension}' (expected .npy or .csv)."),
            };
        }
        catch (IOException ex)
        {
            throw new InputException($"{path}: cannot read ({ex.Message}).");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new InputException($"{path}: cannot read ({ex.Message}).");
        }
    }

    /// <summary>Reads a NumPy .npy file holding a square float64 or float32 matrix in C order.</summary>
    public static MatrixInput ReadNpy(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[8];
        if (stream.ReadAtLeast(magic, 8, throwOnEndOfStream: false) < 8
            || magic[0] != 0x93 || !magic.Slice(1, 5).SequenceEqual("NUMPY"u8))
        {
            throw new InputException($"{path}: not a NumPy .npy file (bad magic).");
        }

        var major = magic[6];
        int headerLength;
        if (major == 1)
        {
            Span<byte> len = stackalloc byte[2];
            ReadExactly(stream, len, path);
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(len);
        }
        else if (major is 2 or 3)
        {
            Span<byte> len = stackalloc byte[4];
            ReadExactly(stream, len, path);
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(len));
        }
        else
        {
            throw new InputException($"{path}: unsupported .npy format version {major}.");
        }

        if (headerLength is <= 0 or > 1 << 20)
        {
            throw new InputException($"{path}: corrupt .npy header length {headerLength}.");
        }

        var headerBytes = new byte[headerLength];
        ReadExactly(stream, headerBytes, path);
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
        {
            throw new InputException($"{path}: corrupt .npy header '{header.Trim()}'.");
        }

        var dtype = descr.Groups[1].Value;
        int itemSize;
        bool bigEndian;
        switch (dtype)
        {
            case "<f8": itemSize = 8; bigEndian = false; break;
            case ">f8": itemSize = 8; bigEndian = true; break;
            case "<f4": itemSize = 4; bigEndian = false; break;
            case ">f4": itemSize = 4; bigEndian = true; break;
            default:
                throw new InputException($"{path}: unsupported dtype '{dtype}' (expected float64 or float32).");
        }

        if (fortran.Groups[1].Value == "True")
        {
            throw new InputException($"{path}: Fortran-ordered arrays are not supported; save a C-ordered array (numpy.ascontiguousarray).");
        }

        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (dims.Length != 2)
        {
            throw new InputException($"{path}: expected a 2-D matrix, shape is ({shape.Groups[1].Value}).");
        }

        var rows = long.Parse(dims[0], CultureInfo.InvariantCulture);
        var cols = long.Parse(dims[1], CultureInfo.InvariantCulture);
        if (rows != cols)
        {
            throw new InputException($"{path}: distance matrix must be square, shape is {rows}x{cols}.");
        }

        if (rows < 1)
        {
            throw new InputException($"{path}: the matrix is empty.");
        }

        if (rows * cols > Array.MaxLength)
        {
            throw new InputException($"{path}: {rows}x{cols} is too large for a dense in-memory matrix.");
        }

        var n = (int)rows;
        var expected = rows * cols * itemSize;
        if (stream.Length - stream.Position < expected)
        {
            throw new InputException($"{path}: truncated: {rows}x{cols} {dtype} needs {expected} data bytes, found {stream.Length - stream.Position}.");
        }

        var values = new double[rows * cols];
        var buffer = new byte[1 << 20];
        long index = 0;
        while (index < values.LongLength)
        {
            var want = (int)Math.Min(buffer.Length / itemSize, values.LongLength - index) * itemSize;
            ReadExactly(stream, buffer.AsSpan(0, want), path);
            for (var p = 0; p < want; p += itemSize)
            {
                var span = buffer.AsSpan(p, itemSize);
                values[index++] = itemSize == 8
                    ? (bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(span) : BinaryPrimitives.ReadDoubleLittleEndian(span))
                    : (bigEndian ? BinaryPrimitives.ReadSingleBigEndian(span) : BinaryPrimitives.ReadSingleLittleEndian(span));
            }
        }

        return new MatrixInput(Wrap(values, n, path), DefaultIds(n));
    }

    /// <summary>Reads a CSV matrix: n lines of n numbers; an optional first line of n song ids.</summary>
    public static MatrixInput ReadCsv(string path)
    {
        var lines = File.ReadLines(path).Select((text, i) => (Text: text.Trim(), Number: i + 1)).Where(l => l.Text.Length > 0).ToList();
        if (lines.Count == 0)
        {
            throw new InputException($"{path}: the file is empty.");
        }

        string[]? ids = null;
        var firstFields = Split(lines[0].Text);
        if (!double.TryParse(firstFields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            ids = firstFields;
            lines.RemoveAt(0);
        }

        var n = lines.Count;
        if (n == 0)
        {
            throw new InputException($"{path}: a header but no rows.");
        }

        if (ids is not null && ids.Length != n)
        {
            throw new InputException($"{path}: the header names {ids.Length} songs but there are {n} rows.");
        }

        if ((long)n * n > Array.MaxLength)
        {
            throw new InputException($"{path}: {n}x{n} is too large for a dense in-memory matrix.");
        }

        var values = new double[(long)n * n];
        for (var r = 0; r < n; r++)
        {
            var fields = Split(lines[r].Text);
            if (fields.Length != n)
            {
                throw new InputException($"{path}:{lines[r].Number}: distance matrix must be square: row {r} has {fields.Length} values, expected {n}.");
            }

            for (var c = 0; c < n; c++)
            {
                if (!double.TryParse(fields[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                {
                    throw new InputException($"{path}:{lines[r].Number}: value {c + 1} ('{fields[c]}') is not a number.");
                }

                values[((long)r * n) + c] = v;
            }
        }

        return new MatrixInput(Wrap(values, n, path), ids ?? DefaultIds(n));
    }

    private static DistanceMatrix Wrap(double[] values, int n, string path)
    {
        try
        {
            return DistanceMatrix.Create(values, n);
        }
        catch (ArgumentException ex)
        {
            throw new InputException($"{path}: {ex.Message.Split(" (Parameter")[0]}");
        }
    }

    private static string[] Split(string line) => line.Split(',', StringSplitOptions.TrimEntries);

    private static string[] DefaultIds(int n) => Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    private static void ReadExactly(Stream stream, Span<byte> buffer, string path)
    {
        if (stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
        {
            throw new InputException($"{path}: truncated file.");
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
