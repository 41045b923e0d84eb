using System.Buffers.Binary;
using System.Text;

namespace OrleansHub.Client.Tests;

/// <summary>Writes .npy files the way numpy.save does (format 1.0, header padded to 64 bytes).</summary>
internal static class NpyWriter
{
    public static void Write(string path, double[,] values, string descr = "<f8", bool fortran = false, int? truncateTo = null)
    {
        var rows = values.GetLength(0);
        var cols = values.GetLength(1);
        var header = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': ({rows}, {cols}), }}";
        var total = 10 + header.Length + 1;
        header = header + new string(' ', (64 - (total % 64)) % 64) + "\n";
        using var stream = new MemoryStream();
        stream.Write([0x93, .. "NUMPY"u8, 1, 0]);
        var len = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        stream.Write(len);
        stream.Write(Encoding.Latin1.GetBytes(header));
        var item = new byte[8];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                switch (descr)
                {
                    case "<f8": BinaryPrimitives.WriteDoubleLittleEndian(item, values[r, c]); stream.Write(item, 0, 8); break;
                    case ">f8": BinaryPrimitives.WriteDoubleBigEndian(item, values[r, c]); stream.Write(item, 0, 8); break;
                    case "<f4": BinaryPrimitives.WriteSingleLittleEndian(item, (float)values[r, c]); stream.Write(item, 0, 4); break;
                    case "<i4": BinaryPrimitives.WriteInt32LittleEndian(item, (int)values[r, c]); stream.Write(item, 0, 4); break;
                    default: throw new ArgumentException(descr);
                }
            }
        }

        var bytes = stream.ToArray();
        File.WriteAllBytes(path, truncateTo is { } t ? bytes[..t] : bytes);
    }
}
