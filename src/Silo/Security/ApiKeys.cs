using System.Security.Cryptography;
using System.Text;

namespace OrleansHub.Silo.Security;

/// <summary>
/// API keys: 256 random bits, shown once as <c>ohk_</c> + base64url, stored only as their SHA-256
/// hash. A salted slow hash is unnecessary for keys of this entropy (nobody can guess 2²⁵⁶ inputs);
/// comparison is constant-time.
/// </summary>
public static class ApiKeys
{
    /// <summary>Prefix of every generated key, so that leaked keys are easy to recognise and scan for.</summary>
    public const string Prefix = "ohk_";

    /// <summary>A new random key (the only time its plain text exists).</summary>
    public static string Generate()
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return Prefix + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The stored form of a key: lowercase hex SHA-256 of its UTF-8 text.</summary>
    public static string Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>True when <paramref name="presented"/> hashes to one of <paramref name="storedHashes"/> (constant time per hash).</summary>
    public static bool Matches(string? presented, IEnumerable<string> storedHashes)
    {
        ArgumentNullException.ThrowIfNull(storedHashes);
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var hash = Encoding.ASCII.GetBytes(Hash(presented));
        var found = false;
        foreach (var stored in storedHashes)
        {
            found |= CryptographicOperations.FixedTimeEquals(hash, Encoding.ASCII.GetBytes(stored));
        }

        return found;
    }
}
