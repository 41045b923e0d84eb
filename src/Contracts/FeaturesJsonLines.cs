using System.Text;
using System.Text.Json;

namespace OrleansHub.Contracts;

/// <summary>Result of reading a features file: the valid songs in file order and every rejected line.</summary>
public sealed record FeaturesReadResult(IReadOnlyList<SongFeatures> Songs, IReadOnlyList<FeaturesLineError> Errors);

/// <summary>
/// Reader and writer of the features interchange format: JSON Lines, one song per line,
/// <c>{"id", "mean": [20], "covariance": [400], "labels"?: [..], "title"?, "artist"?, "source"?}</c>.
/// Unknown properties are ignored so that newer writers stay readable; blank lines are skipped.
/// </summary>
public static class FeaturesJsonLines
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false };

    /// <summary>
    /// Parses one line. Returns the song, or null with <paramref name="error"/> naming the problem.
    /// </summary>
    public static SongFeatures? ParseLine(string line, out string? error)
    {
        error = null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            error = $"not valid JSON ({FirstSentence(ex.Message)})";
            return null;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"expected a JSON object, found {root.ValueKind}";
                return null;
            }

            if (!root.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.String)
            {
                error = "\"id\" is missing or not a string";
                return null;
            }

            var id = idElement.GetString()!;
            if (string.IsNullOrWhiteSpace(id))
            {
                error = "\"id\" is empty";
                return null;
            }

            var mean = ReadNumbers(root, "mean", SongFeatures.Dimension, ref error);
            if (mean is null)
            {
                return null;
            }

            var covariance = ReadNumbers(root, "covariance", SongFeatures.CovarianceLength, ref error);
            if (covariance is null)
            {
                return null;
            }

            var labels = new List<string>();
            if (root.TryGetProperty("labels", out var labelsElement) && labelsElement.ValueKind != JsonValueKind.Null)
            {
                if (labelsElement.ValueKind != JsonValueKind.Array)
                {
                    error = "\"labels\" must be an array of strings";
                    return null;
                }

                foreach (var label in labelsElement.EnumerateArray())
                {
                    if (label.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(label.GetString()))
                    {
                        error = "\"labels\" must contain non-empty strings only";
                        return null;
                    }

                    var text = label.GetString()!.Trim();
                    if (!labels.Contains(text, StringComparer.Ordinal))
                    {
                        labels.Add(text);
                    }
                }
            }

            string? title = null, artist = null, source = null;
            if (!TryOptionalString(root, "title", ref title, ref error)
                || !TryOptionalString(root, "artist", ref artist, ref error)
                || !TryOptionalString(root, "source", ref source, ref error))
            {
                return null;
            }

            return new SongFeatures(id, mean, covariance, labels, title, artist, source);
        }
    }

    /// <summary>
    /// Reads a whole features file. Every malformed line and every repeated id is reported with its
    /// line number; valid lines are kept in file order.
    /// </summary>
    public static FeaturesReadResult Read(TextReader reader)
    {
        var songs = new List<SongFeatures>();
        var errors = new List<FeaturesLineError>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var song = ParseLine(line, out var error);
            if (song is null)
            {
                errors.Add(new FeaturesLineError(lineNumber, error!));
                continue;
            }

            if (seen.TryGetValue(song.Id, out var first))
            {
                errors.Add(new FeaturesLineError(lineNumber, $"duplicate id \"{song.Id}\" (first on line {first})"));
                continue;
            }

            seen.Add(song.Id, lineNumber);
            songs.Add(song);
        }

        return new FeaturesReadResult(songs, errors);
    }

    /// <summary>Reads a features file from disk (UTF-8).</summary>
    public static FeaturesReadResult ReadFile(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Read(reader);
    }

    /// <summary>Serialises one song as a single JSON line (no trailing newline); doubles round-trip exactly.</summary>
    public static string ToLine(SongFeatures song)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(16 * 1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("id", song.Id);
            WriteArray(writer, "mean", song.Mean);
            WriteArray(writer, "covariance", song.Covariance);
            if (song.Labels.Count > 0)
            {
                writer.WriteStartArray("labels");
                foreach (var label in song.Labels)
                {
                    writer.WriteStringValue(label);
                }

                writer.WriteEndArray();
            }

            if (song.Title is not null)
            {
                writer.WriteString("title", song.Title);
            }

            if (song.Artist is not null)
            {
                writer.WriteString("artist", song.Artist);
            }

            if (song.Source is not null)
            {
                writer.WriteString("source", song.Source);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes songs one per line.</summary>
    public static void Write(TextWriter writer, IEnumerable<SongFeatures> songs)
    {
        foreach (var song in songs)
        {
            writer.Write(ToLine(song));
            writer.Write('\n');
        }
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, double[] values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException($"\"{name}\" contains a non-finite value; the features format holds finite numbers only.");
            }

            writer.WriteNumberValue(v);
        }

        writer.WriteEndArray();
    }

    private static double[]? ReadNumbers(JsonElement root, string name, int expected, ref string? error)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.Array)
        {
            error = $"\"{name}\" is missing or not an array";
            return null;
        }

        var length = element.GetArrayLength();
        if (length != expected)
        {
            error = $"\"{name}\" must have {expected} numbers, found {length}";
            return null;
        }

        var values = new double[expected];
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out var v) || !double.IsFinite(v))
            {
                error = $"\"{name}\"[{i}] is not a finite number";
                return null;
            }

            values[i++] = v;
        }

        return values;
    }

    private static bool TryOptionalString(JsonElement root, string name, ref string? value, ref string? error)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"\"{name}\" must be a string";
            return false;
        }

        value = element.GetString();
        return true;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message.TrimEnd('.');
    }
}
