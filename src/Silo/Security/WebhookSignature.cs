using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansHub.Silo.Security;

/// <summary>
/// Signature of a webhook delivery, sent as the header
/// <c>X-OrleansHub-Signature: t=UNIX_SECONDS,v1=HEX</c> where HEX is
/// HMAC-SHA256(secret, "UNIX_SECONDS." + body). The timestamp is signed too, so a receiver that
/// rejects old timestamps also rejects replays.
/// </summary>
public static class WebhookSignature
{
    /// <summary>Name of the HTTP header carrying the signature.</summary>
    public const string HeaderName = "X-OrleansHub-Signature";

    /// <summary>The header value for a body sent at <paramref name="timestamp"/>.</summary>
    public static string Create(string secret, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var t = timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={Convert.ToHexStringLower(Mac(secret, t, body))}";
    }

    /// <summary>
    /// Verifies a header value against the body: well-formed, timestamp within
    /// <paramref name="tolerance"/> of <paramref name="now"/>, and a matching MAC (constant-time).
    /// </summary>
    public static bool Verify(string secret, string? header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        string? t = null, v1 = null;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal))
            {
                t = part[2..];
            }
            else if (part.StartsWith("v1=", StringComparison.Ordinal))
            {
                v1 = part[3..];
            }
        }

        if (t is null || v1 is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance)
        {
            return false;
        }

        byte[] presented;
        try
        {
            presented = Convert.FromHexString(v1);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(presented, Mac(secret, t, body));
    }

    private static byte[] Mac(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
        hmac.AppendData(Encoding.ASCII.GetBytes(timestamp + "."));
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
