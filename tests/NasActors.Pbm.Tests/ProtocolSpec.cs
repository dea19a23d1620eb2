using NasActors.Pbm.Protocol;

namespace NasActors.Pbm.Tests;

/// <summary>The wire format and the command-line grammar, without a host.</summary>
public sealed class ProtocolSpec
{
    private static readonly PaletteDefinition[] Palettes =
    [
        new("cluster", "members", [
            new CommandDefinition("show", "all", []),
            new CommandDefinition("down", "down one", [new ArgumentDefinition("address", "a", "who", Mandatory: true)]),
        ]),
        new("nas", "searches", [
            new CommandDefinition("top", "best", [
                new ArgumentDefinition("search", "s", "id", Mandatory: true), new ArgumentDefinition("k", "k", "how many", Default: "10"),
                new ArgumentDefinition("verbose", "v", "more", IsFlag: true),
            ]),
        ]),
    ];

    [Fact]
    public async Task Every_message_round_trips_through_a_frame()
    {
        PbmMessage[] messages =
        [
            new Hello(1, "pbm", "t"), new Welcome(1, "akka.tcp://nas@h:1", Palettes, 60), new Refused("no"),
            new Execute(3, "nas", "top", new Dictionary<string, string> { ["search"] = "a" }), new Output(3, "line"), new Done(3),
            new Failed(3, "why"), new Cancel(3), new Ping(), new Pong(),
        ];
        foreach (var m in messages)
        {
            using var stream = new MemoryStream();
            await PbmWire.SendAsync(stream, m);
            stream.Position = 0;
            var back = await PbmWire.ReceiveAsync(stream, 1 << 20);
            Assert.Equal(PbmWire.Encode(m), PbmWire.Encode(back!));
            Assert.Null(await PbmWire.ReceiveAsync(stream, 1 << 20)); // clean end between frames
        }
    }

    [Fact]
    public async Task Oversized_empty_and_truncated_frames_are_protocol_errors()
    {
        await Assert.ThrowsAsync<ProtocolException>(() => Frames.ReadAsync(new MemoryStream([0, 0, 0, 0]), 100));
        await Assert.ThrowsAsync<ProtocolException>(() => Frames.ReadAsync(new MemoryStream([0, 0, 0, 101, 1]), 100));
        await Assert.ThrowsAsync<ProtocolException>(() => Frames.ReadAsync(new MemoryStream([0, 0]), 100));
        await Assert.ThrowsAsync<ProtocolException>(() => Frames.ReadAsync(new MemoryStream([0, 0, 0, 5, 1, 2]), 100));
        Assert.Throws<ProtocolException>(() => PbmWire.Decode("{\"type\":\"nope\"}"u8));
        Assert.Throws<ProtocolException>(() => PbmWire.Decode("not json"u8));
    }

    [Fact]
    public void Commands_parse_against_the_palettes()
    {
        var top = CommandLine.Parse(Palettes, CommandLine.Split("nas top -s 'my search' -v"));
        Assert.Equal("my search", top.Arguments["search"]);
        Assert.Equal("10", top.Arguments["k"]);
        Assert.Equal("true", top.Arguments["verbose"]);
        Assert.Equal("3", CommandLine.Parse(Palettes, ["nas", "top", "--search", "a", "--k", "3"]).Arguments["k"]);
        Assert.Contains("unknown palette 'x'", Assert.Throws<FormatException>(() => CommandLine.Parse(Palettes, ["x", "show"])).Message);
        Assert.Contains("missing mandatory switch -s|--search <search>", Assert.Throws<FormatException>(() => CommandLine.Parse(Palettes, ["nas", "top"])).Message);
        Assert.Contains("needs a command", Assert.Throws<FormatException>(() => CommandLine.Parse(Palettes, ["nas"])).Message);
        Assert.Contains("unknown switch '--zz'", Assert.Throws<FormatException>(() =>
            CommandLine.Check(Palettes, "cluster", "down", new Dictionary<string, string> { ["zz"] = "1" })).Message);
    }

    [Theory]
    [InlineData("127.0.0.1:9110", "127.0.0.1", 9110)]
    [InlineData("node-3.example:4000", "node-3.example", 4000)]
    [InlineData("[::1]:9110", "::1", 9110)]
    public void Endpoints_parse(string text, string host, int port) => Assert.Equal((host, port), CommandLine.ParseEndpoint(text));

    [Theory]
    [InlineData("127.0.0.1:")]
    [InlineData(":9110")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:x")]
    [InlineData("a b:1")]
    public void Malformed_endpoints_are_refused(string text) =>
        Assert.StartsWith("malformed address", Assert.Throws<FormatException>(() => CommandLine.ParseEndpoint(text)).Message);
}
