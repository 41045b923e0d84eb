using System.Text.Json;
using System.Text.Json.Serialization;
using OrleansHub.Grains.Engine;

namespace OrleansHub.Silo.Hosting;

/// <summary>JSON form of engine alerts: the record's properties in camelCase plus a kebab-case <c>type</c>.</summary>
public static class AlertJson
{
    /// <summary>Options shared by the API and the alert log.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Kebab-case kind of an alert: <c>hub-emerged</c>, <c>hub-receded</c>, <c>suspicious-upload</c>, <c>anomalous-upload</c>, <c>catalogue-drift</c>.</summary>
    public static string TypeOf(Alert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return alert switch
        {
            HubEmerged => "hub-emerged",
            HubReceded => "hub-receded",
            SuspiciousUpload => "suspicious-upload",
            AnomalousUpload => "anomalous-upload",
            CatalogueDrift => "catalogue-drift",
            _ => JsonNamingPolicy.KebabCaseLower.ConvertName(alert.GetType().Name),
        };
    }

    /// <summary>The alert as one JSON object with its type.</summary>
    public static string Serialize(Alert alert)
    {
        var node = JsonSerializer.SerializeToNode(alert, alert.GetType(), Options)!.AsObject();
        node.Insert(0, "type", TypeOf(alert));
        return node.ToJsonString(Options);
    }
}
