using System.CommandLine;

namespace OrleansHub.Client.Commands;

internal static class FeaturesCommand
{
    public static Command Create() => new("features", "Extract MFCC Gaussians from audio files into a features JSONL file.");
}
