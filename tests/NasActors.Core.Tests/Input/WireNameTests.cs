using System.Text.Json;
using System.Text.Json.Serialization;
using NasActors.Core.Input;

namespace NasActors.Core.Tests.Input;

public sealed class WireNameTests
{
    [JsonConverter(typeof(JsonStringEnumConverter<Join>))]
    public enum Join
    {
        [JsonStringEnumMemberName("seed-nodes")] SeedNodes,
        [JsonStringEnumMemberName("akka-management")] AkkaManagement,
    }

    public enum Unnamed { A }

    [Fact]
    public void Json_writes_and_reads_the_same_names_as_the_configuration()
    {
        Assert.Equal("\"akka-management\"", JsonSerializer.Serialize(Join.AkkaManagement));
        Assert.Equal(Join.SeedNodes, JsonSerializer.Deserialize<Join>("\"seed-nodes\""));
        Assert.Equal("akka-management", Join.AkkaManagement.ToWire());
        Assert.Equal(["seed-nodes", "akka-management"], WireName<Join>.Names);
    }

    [Theory]
    [InlineData("seed-nodes", Join.SeedNodes)]
    [InlineData(" Akka-Management ", Join.AkkaManagement)]
    public void A_name_is_read_in_any_case_and_trimmed(string text, Join expected) =>
        Assert.Equal(expected, WireName<Join>.Parse(text, "nas.discovery.join"));

    [Fact]
    public void A_member_name_that_is_not_its_wire_name_is_refused_naming_the_setting_and_the_names()
    {
        // "SeedNodes" is the C# name, not the one files and journals hold.
        var e = Assert.Throws<ArgumentException>(() => WireName<Join>.Parse("SeedNodes", "nas.discovery.join"));
        Assert.Equal("nas.discovery.join must be seed-nodes or akka-management, got 'SeedNodes'", e.Message);
    }

    [Fact]
    public void An_enum_without_wire_names_cannot_be_used() =>
        Assert.IsType<InvalidOperationException>(Assert.Throws<TypeInitializationException>(() => WireName<Unnamed>.Names).InnerException);
}
