using System.Buffers.Binary;
using System.Text;
using NasActors.Build;

namespace NasActors.Torch.Tests.Build;

/// <summary>The ELF edit behind the build's TorchSharp native fix, on small ELF64 files the tests make.</summary>
public class ElfVersionPatcherTests
{
    /// <summary>
    /// A minimal ELF64 little-endian file: sections [0] null, [1] .dynstr, [2] .gnu.version_r needing
    /// libc.so.6 (GLIBC_2.2.5) and libstdc++.so.6 (GLIBCXX_3.4, <paramref name="cxxVersion"/>).
    /// </summary>
    private static byte[] MakeElf(string cxxVersion = "GLIBCXX_3.4.32", ushort flags = 0)
    {
        var strings = new List<string> { "", "libc.so.6", "GLIBC_2.2.5", "libstdc++.so.6", "GLIBCXX_3.4", cxxVersion };
        var strtab = new MemoryStream();
        var offsets = new Dictionary<string, int>();
        foreach (var s in strings)
        {
            offsets[s] = (int)strtab.Length;
            strtab.Write(Encoding.ASCII.GetBytes(s + "\0"));
        }
        var str = strtab.ToArray();
        const int strOff = 64;
        var verOff = (strOff + str.Length + 7) & ~7;
        // Verneed libc (1 aux) at 0, Vernaux at 16; Verneed libstdc++ (2 aux) at 32, Vernaux at 48, 64.
        var ver = new byte[80];
        void Need(int at, int cnt, string file, int aux, int next)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(ver.AsSpan(at), 1);
            BinaryPrimitives.WriteUInt16LittleEndian(ver.AsSpan(at + 2), (ushort)cnt);
            BinaryPrimitives.WriteUInt32LittleEndian(ver.AsSpan(at + 4), (uint)offsets[file]);
            BinaryPrimitives.WriteUInt32LittleEndian(ver.AsSpan(at + 8), (uint)aux);
            BinaryPrimitives.WriteUInt32LittleEndian(ver.AsSpan(at + 12), (uint)next);
        }
        void Aux(int at, string name, ushort f, int next)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(ver.AsSpan(at), 0x1234);
            BinaryPrimitives.WriteUInt16LittleEndian(ver.AsSpan(at + 4), f);
            BinaryPrimitives.WriteUInt16LittleEndian(ver.AsSpan(at + 6), 2);
            BinaryPrimitives.WriteUInt32LittleEndian(ver.AsSpan(at + 8), (uint)offsets[name]);
            BinaryPrimitives.WriteUInt32LittleEndian(ver.AsSpan(at + 12), (uint)next);
        }
        Need(0, 1, "libc.so.6", 16, 32);
        Aux(16, "GLIBC_2.2.5", 0, 0);
        Need(32, 2, "libstdc++.so.6", 16, 0);
        Aux(48, "GLIBCXX_3.4", 0, 16);
        Aux(64, cxxVersion, flags, 0);

        var shOff = verOff + ver.Length;
        var elf = new byte[shOff + 3 * 64];
        elf[0] = 0x7f; elf[1] = (byte)'E'; elf[2] = (byte)'L'; elf[3] = (byte)'F';
        elf[4] = 2; elf[5] = 1; elf[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x10), 3);  // ET_DYN
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x12), 62); // x86-64
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(0x28), (ulong)shOff);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x34), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x3A), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x3C), 3);
        str.CopyTo(elf, strOff);
        ver.CopyTo(elf, verOff);
        void Section(int index, uint type, int offset, int size, uint link, uint info)
        {
            var sh = shOff + index * 64;
            BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(sh + 4), type);
            BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(sh + 24), (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(sh + 32), (ulong)size);
            BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(sh + 40), link);
            BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(sh + 44), info);
        }
        Section(1, 3, strOff, str.Length, 0, 0);
        Section(2, ElfVersionPatcher.ShtGnuVerneed, verOff, ver.Length, 1, 2);
        return elf;
    }

    [Fact]
    public void Reads_every_version_requirement_with_its_library()
    {
        var reqs = ElfVersionPatcher.ReadVersionRequirements(MakeElf(), "t.so");
        Assert.Equal(new[] { ("libc.so.6", "GLIBC_2.2.5"), ("libstdc++.so.6", "GLIBCXX_3.4"), ("libstdc++.so.6", "GLIBCXX_3.4.32") },
            reqs.Select(r => (r.File, r.Version)));
        Assert.All(reqs, r => Assert.False(r.IsWeak));
    }

    [Fact]
    public void Marks_only_the_named_version_weak_and_is_idempotent()
    {
        var elf = MakeElf();
        var before = (byte[])elf.Clone();
        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionPatcher.MarkVersionWeak(elf, "GLIBCXX_3.4.32", "t.so"));
        var reqs = ElfVersionPatcher.ReadVersionRequirements(elf, "t.so");
        Assert.True(reqs.Single(r => r.Version == "GLIBCXX_3.4.32").IsWeak);
        Assert.Equal(2, reqs.Single(r => r.Version == "GLIBCXX_3.4.32").Flags);
        Assert.All(reqs.Where(r => r.Version != "GLIBCXX_3.4.32"), r => Assert.False(r.IsWeak));
        Assert.Equal(1, elf.Zip(before).Count(p => p.First != p.Second)); // one byte changed

        var once = (byte[])elf.Clone();
        Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionPatcher.MarkVersionWeak(elf, "GLIBCXX_3.4.32", "t.so"));
        Assert.Equal(once, elf);
    }

    [Fact]
    public void A_library_that_does_not_need_the_version_is_left_alone()
    {
        var elf = MakeElf("GLIBCXX_3.4.30");
        var before = (byte[])elf.Clone();
        Assert.Equal(ElfPatchOutcome.VersionNotRequired, ElfVersionPatcher.MarkVersionWeak(elf, "GLIBCXX_3.4.32", "t.so"));
        Assert.Equal(before, elf);
    }

    [Fact]
    public void Patching_a_file_replaces_it_and_never_writes_through_a_hard_link()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("cache.so"), MakeElf());
        var ln = System.Diagnostics.Process.Start("ln", [tmp.File("cache.so"), tmp.File("out.so")])!;
        ln.WaitForExit();
        Assert.Equal(0, ln.ExitCode);

        Assert.Equal(ElfPatchOutcome.Patched, ElfVersionPatcher.MarkVersionWeak(tmp.File("out.so"), "GLIBCXX_3.4.32"));
        Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionPatcher.MarkVersionWeak(tmp.File("out.so"), "GLIBCXX_3.4.32"));
        Assert.Equal(MakeElf(), File.ReadAllBytes(tmp.File("cache.so")));
        Assert.False(File.Exists(tmp.File("out.so.nasactors-patch.tmp")));
    }

    [Fact]
    public void Not_an_elf_file_is_a_clear_error()
    {
        var e = Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.MarkVersionWeak(Encoding.ASCII.GetBytes(new string('x', 100)), "GLIBCXX_3.4.32", "junk.so"));
        Assert.Contains("junk.so", e.Message);
        Assert.Contains("bad magic number", e.Message);
    }

    [Fact]
    public void A_32_bit_or_big_endian_elf_is_refused()
    {
        var elf = MakeElf();
        elf[4] = 1;
        Assert.Contains("not a 64-bit", Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.ReadVersionRequirements(elf, "t.so")).Message);
        elf = MakeElf();
        elf[5] = 2;
        Assert.Contains("little-endian", Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.ReadVersionRequirements(elf, "t.so")).Message);
    }

    [Fact]
    public void A_truncated_file_is_a_clear_error()
    {
        var elf = MakeElf();
        var e = Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.ReadVersionRequirements(elf[..^10], "t.so"));
        Assert.Contains("runs past the end of the file", e.Message);
    }

    [Fact]
    public void A_file_without_version_requirements_is_a_clear_error()
    {
        var elf = MakeElf();
        var shOff = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x28));
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(shOff + 2 * 64 + 4), 1); // SHT_PROGBITS
        var e = Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.ReadVersionRequirements(elf, "t.so"));
        Assert.Contains(".gnu.version_r", e.Message);
    }
}
