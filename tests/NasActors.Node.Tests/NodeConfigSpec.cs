using NasActors.Node.Commands.Nodes;

namespace NasActors.Node.Tests;

/// <summary>
/// <c>--config</c> files and <c>--set</c> overrides layered on hocon/base.conf: a key that is a block below and a value
/// above (or the reverse) is refused naming the key and its source. Akka merges such layers into a configuration that
/// throws a NullReferenceException when the block is read, or silently drops one side.
/// </summary>
public sealed class NodeConfigSpec
{
    [Theory]
    [InlineData("nas = 5", "--set 'nas = 5': nas is a block { ... } in the configuration")]
    [InlineData("akka = 5", "--set 'akka = 5': akka is a block { ... } in the configuration")]
    [InlineData("nas.dashboard = off", "nas.dashboard is a block { ... } in the configuration")]
    [InlineData("nas { persistence { sqlite = 3 } }", "nas.persistence.sqlite is a block { ... } in the configuration")]
    [InlineData("nas.dashboard.token { a = 1 }", "nas.dashboard.token is a single value or a list in the configuration, not a block")]
    public void An_override_of_another_shape_than_the_key_it_replaces_is_refused_naming_it(string set, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => NodeConfig.Load([], [set])).Message);

    [Fact]
    public void A_file_of_another_shape_than_the_files_below_is_refused_naming_the_file_and_the_key()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("nas-node-config-").FullName, "flat.conf");
        File.WriteAllText(file, "nas { pbm = off }\n");
        try
        {
            var message = Assert.Throws<ArgumentException>(() => NodeConfig.Load([file], [])).Message;
            Assert.Contains(file, message);
            Assert.Contains("nas.pbm is a block { ... } in the configuration", message);
        }
        finally { Directory.Delete(Path.GetDirectoryName(file)!, true); }
    }

    [Fact]
    public void Every_shipped_file_layers_on_the_base_without_a_conflict()
    {
        var files = Directory.GetFiles(NodeConfig.HoconFolder, "*.conf").Select(Path.GetFileName).Where(f => f != "base.conf").ToArray();
        Assert.Contains("tls.conf", files);
        foreach (var file in files) Assert.False(NodeConfig.Load([file!], []).IsEmpty, file);
    }

    [Fact]
    public void Overrides_of_the_same_shape_apply()
    {
        var config = NodeConfig.Load([], ["nas.pbm { port = 0 }", "nas.roles = [trainer]", "nas.seed-nodes = []", "nas.evaluators = 3"]);
        Assert.Equal(0, config.GetInt("nas.pbm.port"));
        Assert.Equal(["trainer"], config.GetStringList("nas.roles"));
        Assert.Equal(3, config.GetInt("nas.evaluators"));
    }
}
