using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using OrleansHub.Silo.Diagnostics;

namespace OrleansHub.Silo.Tests;

public sealed class WebhookTests : IDisposable
{
    private const string Secret = "receiver-secret-0123456789";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("orleanshub-webhooks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Alerts_AreDeliveredSignedOnceEach_AfterRetryingTheFirstFailures()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret, failFirst: 2);
        await using var silo = FastRetrySilo(maxAttempts: 3);
        using var delivered = new CounterWaiter(silo, "orleanshub.webhooks.deliveries");
        var created = await silo.Client.PostAsJsonAsync("/api/webhooks", new { url = receiver.Url, secret = Secret });
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var hookId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        (await silo.Client.PostAsync("/api/songs/batch", SiloHost.Ndjson(SiloHost.Songs(40)))).StatusCode.Should().Be(HttpStatusCode.OK);
        var alertIds = (await silo.Client.GetFromJsonAsync<JsonElement>("/api/alerts?after=0&limit=1000")).EnumerateArray().Select(a => a.GetProperty("id").GetInt64()).ToList();
        alertIds.Should().NotBeEmpty();

        await delivered.WaitForAsync(alertIds.Count);

        receiver.Deliveries.Select(d => d.AlertId).Should().Equal(alertIds);
        receiver.Deliveries.Should().OnlyContain(d => d.SignatureValid);
        receiver.Attempts.Should().Be(alertIds.Count + 2);
        var first = JsonDocument.Parse(receiver.Deliveries.First().Body).RootElement;
        first.GetProperty("id").GetInt64().Should().Be(alertIds[0]);
        first.GetProperty("alert").GetProperty("type").GetString().Should().Be(first.GetProperty("type").GetString());
        (await silo.Client.GetFromJsonAsync<JsonElement>($"/api/webhooks/{hookId}/dead-letters")).GetArrayLength().Should().Be(0);
        var listed = (await silo.Client.GetFromJsonAsync<JsonElement>("/api/webhooks")).EnumerateArray().Single();
        listed.GetProperty("cursor").GetInt64().Should().Be(alertIds[^1]);
        listed.GetProperty("secret").GetString().Should().Be("****6789");
    }

    [Fact]
    public async Task Alerts_ThatAlwaysFail_GoToTheDeadLetterListWithAttemptsAndError_AndTheCursorMovesOn()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret, failFirst: int.MaxValue);
        await using var silo = FastRetrySilo(maxAttempts: 2);
        using var deadLettered = new CounterWaiter(silo, "orleanshub.webhooks.dead_letters");
        var created = await silo.Client.PostAsJsonAsync("/api/webhooks", new { url = receiver.Url, secret = Secret });
        var hookId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        await silo.Client.PostAsync("/api/songs/batch", SiloHost.Ndjson(SiloHost.Songs(40)));
        var alertIds = (await silo.Client.GetFromJsonAsync<JsonElement>("/api/alerts?after=0&limit=1000")).EnumerateArray().Select(a => a.GetProperty("id").GetInt64()).ToList();
        alertIds.Should().NotBeEmpty();

        await deadLettered.WaitForAsync(alertIds.Count);

        var letters = (await silo.Client.GetFromJsonAsync<JsonElement>($"/api/webhooks/{hookId}/dead-letters")).EnumerateArray().ToList();
        letters.Select(l => l.GetProperty("alertId").GetInt64()).Should().Equal(alertIds);
        letters.Should().OnlyContain(l => l.GetProperty("attempts").GetInt32() == 2 && l.GetProperty("lastError").GetString()!.Contains("503", StringComparison.Ordinal));
        receiver.Attempts.Should().Be(2 * alertIds.Count);
        receiver.Deliveries.Should().BeEmpty();
        (await silo.Client.GetFromJsonAsync<JsonElement>("/api/webhooks")).EnumerateArray().Single().GetProperty("cursor").GetInt64().Should().Be(alertIds[^1]);
    }

    [Fact]
    public async Task Delivery_InterruptedByAStop_ResumesFromThePersistedCursorAfterTheRestart()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Secret, failFirst: 1);
        List<long> alertIds;
        await using (var silo = new SiloHost(
            _dir,
            ("OrleansHub:HubSize", "1"),
            ("OrleansHub:Webhooks:MaxAttempts", "2"),
            ("OrleansHub:Webhooks:BaseDelay", "01:00:00"),
            ("OrleansHub:Webhooks:MaxDelay", "01:00:00")))
        {
            using var failures = new CounterWaiter(silo, "orleanshub.webhooks.failures");
            (await silo.Client.PostAsJsonAsync("/api/webhooks", new { url = receiver.Url, secret = Secret })).StatusCode.Should().Be(HttpStatusCode.Created);
            await silo.Client.PostAsync("/api/songs/batch", SiloHost.Ndjson(SiloHost.Songs(40)));
            alertIds = (await silo.Client.GetFromJsonAsync<JsonElement>("/api/alerts?after=0&limit=1000")).EnumerateArray().Select(a => a.GetProperty("id").GetInt64()).ToList();
            alertIds.Should().NotBeEmpty();

            // The first alert's first attempt failed; its retry waits an hour, so the stop interrupts it.
            await failures.WaitForAsync(1);
        }

        receiver.Deliveries.Should().BeEmpty();
        await using var restarted = FastRetrySilo(maxAttempts: 3);

        // The restarted silo's delivery worker starts with its host, in the constructor, and may deliver everything before a
        // metrics listener could attach (CI saw exactly that time out), so this wait counts on the receiver's side.
        await receiver.WaitForDeliveriesAsync(alertIds.Count, Bound);

        receiver.Deliveries.Select(d => d.AlertId).Should().Equal(alertIds);
        receiver.Deliveries.Should().OnlyContain(d => d.SignatureValid);
    }

    [Fact]
    public async Task WebhookAdministration_ValidatesMasksDeletes_AndNeedsAKey()
    {
        await using var silo = new SiloHost(_dir);
        using var anonymous = silo.CreateAnonymousClient();

        (await anonymous.GetAsync("/api/webhooks")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsJsonAsync("/api/webhooks", new { url = "http://127.0.0.1:9/hook" })).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        foreach (var body in new object[]
        {
            new { url = "/relative" },
            new { url = "ftp://127.0.0.1/hook" },
            new { url = "not a url" },
            new { url = "http://127.0.0.1:9/hook", secret = "short" },
            new { url = "http://127.0.0.1:9/hook", types = new[] { "no-such-alert" } },
        })
        {
            var bad = await silo.Client.PostAsJsonAsync("/api/webhooks", body);
            bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
            (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString().Should().Be("https://orleanshub.dev/problems/invalid-webhook");
        }

        foreach (var raw in new[] { "{", "null", "[1]", "{\"url\": 5}" })
        {
            var bad = await silo.Client.PostAsync("/api/webhooks", new StringContent(raw, System.Text.Encoding.UTF8, "application/json"));
            bad.StatusCode.Should().Be(HttpStatusCode.BadRequest, raw);
            (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString().Should().Be("https://orleanshub.dev/problems/invalid-webhook");
        }

        var plain = await silo.Client.PostAsync("/api/webhooks", new StringContent("url=http://127.0.0.1:9/hook"));
        plain.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        (await plain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString().Should().Be("https://orleanshub.dev/problems/unsupported-media-type");

        var created = await silo.Client.PostAsJsonAsync("/api/webhooks", new { url = "http://127.0.0.1:9/hook", types = new[] { "hub-emerged" } });
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var hook = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = hook.GetProperty("secret").GetString()!;
        secret.Should().StartWith("whsec_").And.HaveLength(54);
        created.Headers.Location!.ToString().Should().Be($"/api/webhooks/{hook.GetProperty("id").GetInt64()}");

        var listed = (await silo.Client.GetFromJsonAsync<JsonElement>("/api/webhooks")).EnumerateArray().Single();
        listed.GetProperty("secret").GetString().Should().Be("****" + secret[^4..]);
        listed.GetProperty("types").EnumerateArray().Select(t => t.GetString()).Should().Equal("hub-emerged");

        var id = hook.GetProperty("id").GetInt64();
        (await silo.Client.DeleteAsync($"/api/webhooks/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await silo.Client.GetFromJsonAsync<JsonElement>("/api/webhooks")).GetArrayLength().Should().Be(0);
        foreach (var missing in new[] { await silo.Client.DeleteAsync($"/api/webhooks/{id}"), await silo.Client.GetAsync($"/api/webhooks/{id}/dead-letters") })
        {
            missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
            (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString().Should().Be("https://orleanshub.dev/problems/webhook-not-found");
        }
    }

    [Fact]
    public async Task Webhooks_SurviveARestart()
    {
        await using (var silo = new SiloHost(_dir))
        {
            (await silo.Client.PostAsJsonAsync("/api/webhooks", new { url = "https://receiver.example/hook", secret = Secret })).StatusCode.Should().Be(HttpStatusCode.Created);
        }

        await using var restarted = new SiloHost(_dir);
        var listed = (await restarted.Client.GetFromJsonAsync<JsonElement>("/api/webhooks")).EnumerateArray().Single();
        listed.GetProperty("url").GetString().Should().Be("https://receiver.example/hook");
    }

    private SiloHost FastRetrySilo(int maxAttempts) => new(
        _dir,
        ("OrleansHub:HubSize", "1"),
        ("OrleansHub:Webhooks:MaxAttempts", maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("OrleansHub:Webhooks:BaseDelay", "00:00:00.001"),
        ("OrleansHub:Webhooks:MaxDelay", "00:00:00.010"),
        ("OrleansHub:Webhooks:Timeout", "00:00:05"));

    /// <summary>Completes when a counter of this silo's meter reaches a total (bounded wait).</summary>
    private sealed class CounterWaiter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly object _gate = new();
        private long _total;
        private long _target = long.MaxValue;
        private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CounterWaiter(SiloHost silo, string instrumentName)
        {
            var meter = silo.Services.GetRequiredService<SiloMetrics>().Meter;
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == instrumentName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
            {
                lock (_gate)
                {
                    _total += value;
                    if (_total >= _target)
                    {
                        _reached.TrySetResult();
                    }
                }
            });
            _listener.Start();
        }

        public Task WaitForAsync(long target)
        {
            lock (_gate)
            {
                _target = target;
                if (_total >= target)
                {
                    _reached.TrySetResult();
                }
            }

            return _reached.Task.WaitAsync(Bound);
        }

        public void Dispose() => _listener.Dispose();
    }
}
