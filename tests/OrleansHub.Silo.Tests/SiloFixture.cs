using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Mvc.Testing;
using OrleansHub.Contracts;
using OrleansHub.Grains.Model;

namespace OrleansHub.Silo.Tests;

/// <summary>An in-process silo on a temporary data folder.</summary>
internal sealed class SiloHost : IAsyncDisposable
{
    public const string Key = "test-key-0123456789";
    private readonly WebApplicationFactory<Program> _factory;

    public SiloHost(string dataDirectory, params (string Key, string Value)[] settings)
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("OrleansHub:DataDirectory", dataDirectory);
            builder.UseSetting("OrleansHub:ApiKey", Key);
            foreach (var (k, v) in settings)
            {
                builder.UseSetting(k, v);
            }
        });
        Client = _factory.CreateClient();
        Client.DefaultRequestHeaders.Add("X-Api-Key", Key);
    }

    public HttpClient Client { get; }

    public HttpClient CreateAnonymousClient() => _factory.CreateClient();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
    }

    public static IReadOnlyList<SongFeatures> Songs(int count, ulong seed = 3) =>
        SyntheticCatalogue.Generate(count, seed).Select((s, i) => new SongFeatures($"song-{i:D4}", s.Mean, s.Covariance, [s.Genre])).ToList();

    public static StringContent Json(SongFeatures song) => new(FeaturesJsonLines.ToLine(song), Encoding.UTF8, "application/json");

    public static StringContent Ndjson(IEnumerable<SongFeatures> songs)
    {
        var content = new StringContent(string.Join('\n', songs.Select(FeaturesJsonLines.ToLine)), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        return content;
    }
}
