using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using NasActors.Cluster.Protocol;

namespace NasActors.Cluster.Serialization;

/// <summary>
/// The one serializer of every <see cref="INasMessage"/> (events, snapshots, remote messages): System.Text.Json with
/// the type named by the explicit string manifest of <see cref="NasManifests"/> (older manifests read too). Records
/// keep their property names, so a journal written by one version stays readable while properties are only added;
/// a stored value that later got a default is filled in by an upcaster (<see cref="TrainingSpecUpcaster"/>).
/// </summary>
public sealed class NasSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 4711;

    /// <summary>The HOCON that binds this serializer to the protocol marker.</summary>
    public const string Hocon = """
        akka.actor {
          serializers.nas = "NasActors.Cluster.Serialization.NasSerializer, NasActors.Cluster"
          serialization-bindings { "NasActors.Cluster.Protocol.INasMessage, NasActors.Cluster" = nas }
          serialization-identifiers { "NasActors.Cluster.Serialization.NasSerializer, NasActors.Cluster" = 4711 }
        }
        """;

    public static JsonSerializerOptions Options { get; } = NewOptions();

    private static JsonSerializerOptions NewOptions()
    {
        var plain = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            WriteIndented = false,
        };
        return new JsonSerializerOptions(plain) { Converters = { new TrainingSpecUpcaster(plain) } };
    }

    /// <summary>Every concrete message type of the protocol (what the round-trip tests cover).</summary>
    public static IReadOnlyList<Type> MessageTypes() => typeof(INasMessage).Assembly.GetTypes()
        .Where(t => typeof(INasMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
        .OrderBy(t => t.FullName, StringComparer.Ordinal).ToArray();

    /// <summary>The manifest written for <paramref name="type"/> (<see cref="NasManifests"/>).</summary>
    public static string ManifestOf(Type type) => NasManifests.Of(type);

    public override int Identifier => Id;

    public override string Manifest(object o) => NasManifests.Of(o.GetType());

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var type = NasManifests.Resolve(manifest);
        try
        {
            return JsonSerializer.Deserialize(bytes, type, Options)
                   ?? throw new SerializationException($"NasSerializer: '{manifest}' deserialized to null.");
        }
        catch (JsonException e)
        {
            throw new SerializationException($"NasSerializer: a stored '{manifest}' ({type.Name}) cannot be read: {e.Message}", e);
        }
    }
}
