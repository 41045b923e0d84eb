extern alias silo;

using Microsoft.AspNetCore.Mvc.Testing;
using OrleansHub.Client.Remote;
using OrleansHub.Contracts;
using OrleansHub.Contracts.Api;
using OrleansHub.Grains.Model;
using SiloProgram = silo::Program;

namespace OrleansHub.Client.Tests;

/// <summary>A silo hosted in the test process on a temporary data folder, with a typed client pointed at it.</summary>
internal sealed class InProcessSilo : IAsyncDisposable
{
    public const string Key = "client-test-key-0123";
    private readonly WebApplicationFactory<SiloProgram> _factory;
    private readonly HttpClient _http;
    private readonly string _directory = Directory.CreateTempSubdirectory("orleanshub-client-").FullName;

    public InProcessSilo(params (string Key, string Value)[] settings)
    {
        _factory = new WebApplicationFactory<SiloProgram>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("OrleansHub:DataDirectory", _directory);
            builder.UseSetting("OrleansHub:ApiKey", Key);
            foreach (var (k, v) in settings)
            {
                builder.UseSetting(k, v);
            }
        });
        _http = _factory.CreateClient();
        Client = new OrleansHubClient(_http, Key);
    }

    /// <summary>A client with the test key.</summary>
    public OrleansHubClient Client { get; }

    /// <summary>For commands: every client talks to this silo, whatever <c>--server</c> says, with the key the command resolved.</summary>
    public ClientFactory Clients => (_, key) => new OrleansHubClient(_factory.CreateClient(), key);

    /// <summary>A new client over the in-process handler, with <paramref name="key"/>.</summary>
    public OrleansHubClient CreateClient(string? key) => new(_factory.CreateClient(), key);

    /// <summary>The handler that reaches the in-process server (for wrapping in tests).</summary>
    public HttpMessageHandler Handler => _factory.Server.CreateHandler();

    public static IReadOnlyList<SongFeatures> Songs(int count, ulong seed = 5) =>
        SyntheticCatalogue.Generate(count, seed).Select((s, i) => new SongFeatures($"song-{i:D4}", s.Mean, s.Covariance, [s.Genre])).ToList();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        _http.Dispose();
        await _factory.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
