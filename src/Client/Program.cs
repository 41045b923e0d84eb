using OrleansHub.Client;

return await CommandLine.InvokeAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
