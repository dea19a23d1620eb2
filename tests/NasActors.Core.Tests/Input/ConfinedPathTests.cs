using NasActors.Core.Input;

namespace NasActors.Core.Tests.Input;

public sealed class ConfinedPathTests
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "confined-root");

    [Theory]
    [InlineData("../../etc/passwd", "climbs out of the folder")]
    [InlineData("a/../../b", "climbs out of the folder")]
    [InlineData("/etc/passwd", "is an absolute path")]
    [InlineData("a\0b", "holds a NUL or control character")]
    [InlineData("", "is empty")]
    [InlineData("..", "climbs out of the folder")]
    public void A_name_that_would_leave_the_folder_is_refused(string name, string reason) =>
        Assert.Contains(reason, Assert.Throws<PathOutsideFolderException>(() => ConfinedPath.Combine(Root, name, "results.json")).Message);

    [Fact]
    public void A_name_longer_than_a_file_system_takes_is_refused() =>
        Assert.Contains("longer than 255 bytes", Assert.Throws<PathOutsideFolderException>(() => ConfinedPath.Combine(Root, new string('x', 256))).Message);

    [Fact]
    public void A_name_shows_its_NUL_escaped_in_the_message() =>
        Assert.Contains("'a\\u0000b'", Assert.Throws<PathOutsideFolderException>(() => ConfinedPath.Combine(Root, "a\0b")).Message);

    [Fact]
    public void An_ordinary_name_stays_in_the_folder() =>
        Assert.Equal(Path.Combine(Path.GetFullPath(Root), "search-1", "results.json"), ConfinedPath.Combine(Root, "search-1", "results.json"));
}

public sealed class NearestNameTests
{
    [Theory]
    [InlineData("stepz", "steps")]
    [InlineData("batchsize", "batch-size")]
    [InlineData("STEPS", "steps")]
    [InlineData("sped", "seed")]
    public void A_typo_gets_the_nearest_known_name(string given, string nearest) =>
        Assert.Equal(nearest, NearestName.Of(given, ["steps", "batch-size", "seed", "lr"]));

    [Fact]
    public void A_name_far_from_every_known_one_gets_no_suggestion() =>
        Assert.Null(NearestName.Of("gardener", ["steps", "batch-size", "seed", "lr"]));
}
