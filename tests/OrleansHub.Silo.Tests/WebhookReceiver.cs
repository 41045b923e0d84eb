using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OrleansHub.Silo.Security;

namespace OrleansHub.Silo.Tests;

/// <summary>A webhook receiver on Kestrel at 127.0.0.1 (dynamic port): verifies signatures, counts attempts, fails the first N.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _secret;
    private readonly SemaphoreSlim _delivered = new(0);
    private int _failuresLeft;
    private int _attempts;

    private WebhookReceiver(WebApplication app, string secret, int failFirst)
    {
        _app = app;
        _secret = secret;
        _failuresLeft = failFirst;
    }

    public string Url { get; private set; } = string.Empty;

    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Accepted deliveries: alert id header, signature check result, body.</summary>
    public ConcurrentQueue<(long AlertId, bool SignatureValid, string Body)> Deliveries { get; } = new();

    public static async Task<WebhookReceiver> StartAsync(string secret, int failFirst)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, secret, failFirst);
        app.MapPost("/hook", receiver.HandleAsync);
        await app.StartAsync();
        receiver.Url = app.Urls.First() + "/hook";
        return receiver;
    }

    /// <summary>
    /// Completes once at least <paramref name="count"/> deliveries were accepted, or throws after <paramref name="bound"/>.
    /// Counted on the receiver's side, so it cannot miss deliveries a silo makes before a test subscribes to its metrics.
    /// </summary>
    public async Task WaitForDeliveriesAsync(int count, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            while (Deliveries.Count < count)
            {
                await _delivered.WaitAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"{Deliveries.Count} of {count} deliveries arrived within {bound}.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _delivered.Dispose();
    }

    private async Task<IResult> HandleAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        Interlocked.Increment(ref _attempts);
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        var valid = request.ContentType == "application/json"
            && WebhookSignature.Verify(_secret, request.Headers[WebhookSignature.HeaderName], buffer.ToArray(), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        Deliveries.Enqueue((long.Parse(request.Headers["X-OrleansHub-Alert-Id"].ToString(), System.Globalization.CultureInfo.InvariantCulture), valid, System.Text.Encoding.UTF8.GetString(buffer.ToArray())));
        _delivered.Release();
        return Results.Ok();
    }
}
