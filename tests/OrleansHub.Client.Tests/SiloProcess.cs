using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OrleansHub.Contracts.Api;

namespace OrleansHub.Client.Tests;

/// <summary>
/// The silo as a separate operating-system process (<c>dotnet OrleansHub.Silo.dll --urls …</c>) on a
/// data folder, with its console output captured. Disposing kills it (whole tree) if it still runs.
/// </summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HttpClient _http;

    private SiloProcess(Process process, Uri address, string apiKey)
    {
        _process = process;
        Address = address;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        Client = new OrleansHubClient(_http, apiKey);
    }

    public Uri Address { get; }

    public OrleansHubClient Client { get; }

    public string Log
    {
        get
        {
            lock (_gate)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the silo on a free loopback port and waits (bounded) until it listens and reports ready.</summary>
    public static async Task<SiloProcess> StartAsync(string dataDirectory, string apiKey, TimeSpan timeout)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        start.ArgumentList.Add(SiloAssembly());
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["OrleansHub__DataDirectory"] = dataDirectory;
        start.Environment["OrleansHub__ApiKey"] = apiKey;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("ASPNETCORE_HTTP_PORTS");

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var silo = new SiloProcess(process, address, apiKey);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.Exited += (_, _) => silo._listening.TrySetException(new InvalidOperationException("The silo exited before it listened:\n" + silo.Log));
        try
        {
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var cts = new CancellationTokenSource(timeout);
            await silo._listening.Task.WaitAsync(cts.Token);
            var ready = await silo._http.GetAsync(new Uri("health/ready", UriKind.Relative), cts.Token);
            if (ready.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"The silo listens but /health/ready answered {(int)ready.StatusCode}:\n" + silo.Log);
            }

            return silo;
        }
        catch
        {
            silo.Dispose();
            throw;
        }
    }

    /// <summary>kill -9 of the process tree; returns once the process has exited.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _process.WaitForExitAsync(cts.Token);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(15));
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        Client.Dispose();
        _http.Dispose();
        _process.Dispose();
    }

    /// <summary>
    /// The silo's build output: <c>src/Silo/bin/{configuration}/{tfm}/OrleansHub.Silo.dll</c> under the
    /// repository root (found above the test assembly), in the test assembly's configuration.
    /// </summary>
    private static string SiloAssembly()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent?.Name ?? "Release";
        for (var dir = testOutput; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansHub.sln")))
            {
                var path = Path.Combine(dir.FullName, "src", "Silo", "bin", configuration, framework, "OrleansHub.Silo.dll");
                return File.Exists(path) ? path : throw new FileNotFoundException("The silo is not built (the test project's reference builds it).", path);
            }
        }

        throw new DirectoryNotFoundException($"No OrleansHub.sln above {testOutput.FullName}.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _log.AppendLine(line);
        }

        if (line.Contains("Now listening on", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }
}
