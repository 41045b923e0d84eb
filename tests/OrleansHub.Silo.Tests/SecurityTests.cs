using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using OrleansHub.Silo.Security;

namespace OrleansHub.Silo.Tests;

public sealed class SecurityTests
{
    [Fact]
    public void ApiKeys_Generated_AreUniquePrefixedAndMatchOnlyTheirHash()
    {
        var keys = Enumerable.Range(0, 100).Select(_ => ApiKeys.Generate()).ToList();
        keys.Should().OnlyHaveUniqueItems().And.OnlyContain(k => k.StartsWith(ApiKeys.Prefix, StringComparison.Ordinal) && k.Length == 47);
        var hashes = keys.Take(10).Select(ApiKeys.Hash).ToList();
        ApiKeys.Matches(keys[3], hashes).Should().BeTrue();
        ApiKeys.Matches(keys[50], hashes).Should().BeFalse();
        ApiKeys.Matches(null, hashes).Should().BeFalse();
        ApiKeys.Matches(string.Empty, hashes).Should().BeFalse();
        hashes.Should().NotContain(keys[3], "only hashes are stored");
    }

    [Fact]
    public void ApiKeys_Hash_IsSha256OfUtf8()
    {
        ApiKeys.Hash("secret").Should().Be(Convert.ToHexStringLower(SHA256.HashData("secret"u8)));
    }

    [Fact]
    public void WebhookSignature_RoundTrip_VerifiesAndMatchesAPlainHmac()
    {
        var body = Encoding.UTF8.GetBytes("{\"type\":\"hub-emerged\",\"sequence\":42}");
        var at = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var header = WebhookSignature.Create("s3cret", at, body);

        // Independent check: HMAC-SHA256(secret, "t." + body).
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData("s3cret"u8, [.. "1800000000."u8, .. body]));
        header.Should().Be($"t=1800000000,v1={expected}");
        WebhookSignature.Verify("s3cret", header, body, at.AddSeconds(30), TimeSpan.FromMinutes(5)).Should().BeTrue();
    }

    [Theory]
    [InlineData("wrong-secret", 0, false)]
    [InlineData("s3cret", 600, false)]
    [InlineData("s3cret", -600, false)]
    public void WebhookSignature_WrongSecretOrStaleTimestamp_Fails(string secret, int skewSeconds, bool expected)
    {
        var body = "x"u8.ToArray();
        var at = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var header = WebhookSignature.Create("s3cret", at, body);
        WebhookSignature.Verify(secret, header, body, at.AddSeconds(skewSeconds), TimeSpan.FromMinutes(5)).Should().Be(expected);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1=00")]
    [InlineData("t=abc,v1=00")]
    [InlineData("t=1800000000,v1=zz")]
    [InlineData("t=1800000000,v1=0011")]
    public void WebhookSignature_MalformedHeader_Fails(string? header)
    {
        WebhookSignature.Verify("s3cret", header, "x"u8, DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), TimeSpan.FromMinutes(5)).Should().BeFalse();
    }

    [Fact]
    public void WebhookSignature_TamperedBody_Fails()
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var header = WebhookSignature.Create("s3cret", at, "amount=1"u8);
        WebhookSignature.Verify("s3cret", header, "amount=9"u8, at, TimeSpan.FromMinutes(5)).Should().BeFalse();
    }
}
