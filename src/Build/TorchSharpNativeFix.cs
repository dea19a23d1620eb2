// Compiled twice (netstandard2.0 API only: that is what RoslynCodeTaskFactory compiles against): by MSBuild's RoslynCodeTaskFactory as the inline task of TorchSharpNativeFix.targets, and into
// tests/NasActors.Torch.Tests (with NASACTORS_ELF_NO_TASK defined, so without MSBuild) to test the ELF edit.
//
// Why: TorchSharp 0.107.0's libLibTorchSharp.so requires the symbol version GLIBCXX_3.4.32 (GCC 13's libstdc++),
// which Debian 12 lacks, so the native load fails. The only symbol bound to that version is a link-time marker
// that nothing calls. Marking the requirement weak (VER_FLG_WEAK in the Vernaux entry of .gnu.version_r) turns
// the loader's error into a warning. docs/platform.md has the measurement behind it.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace NasActors.Build
{
    /// <summary>What <see cref="ElfVersionPatcher.MarkVersionWeak"/> found or did.</summary>
    public enum ElfPatchOutcome
    {
        /// <summary>The flag was set now.</summary>
        Patched,
        /// <summary>The requirement was already weak: nothing written.</summary>
        AlreadyWeak,
        /// <summary>The file does not require that version: nothing to do.</summary>
        VersionNotRequired,
    }

    /// <summary>The file is not the ELF64 little-endian shared object the edit expects.</summary>
    public sealed class ElfFormatException : Exception
    {
        public ElfFormatException(string message) : base(message) { }
    }

    /// <summary>Minimal, bounds-checked ELF64 (little-endian) reader/editor for symbol version requirements.</summary>
    public static class ElfVersionPatcher
    {
        public const uint ShtGnuVerneed = 0x6ffffffe;
        public const ushort VerFlgWeak = 0x2;

        /// <summary>
        /// Sets VER_FLG_WEAK on every Vernaux entry named <paramref name="version"/> in the file's SHT_GNU_verneed
        /// section (all of them when several libraries list it). The file is replaced atomically (write a temp
        /// file, then rename), so a hard link into a package cache is never modified. Idempotent.
        /// </summary>
        public static ElfPatchOutcome MarkVersionWeak(string path, string version)
        {
            var bytes = File.ReadAllBytes(path);
            var outcome = MarkVersionWeak(bytes, version, path);
            if (outcome == ElfPatchOutcome.Patched)
            {
                // Keep the original time stamp: MSBuild's copy (SkipUnchangedFiles compares size and time) then
                // leaves the patched file in place on the next incremental build instead of copying it again.
                var stamp = File.GetLastWriteTimeUtc(path);
                var temp = path + ".nasactors-patch.tmp";
                File.WriteAllBytes(temp, bytes);
                File.SetLastWriteTimeUtc(temp, stamp);
                File.Replace(temp, path, null); // a rename: never writes through a hard link
            }
            return outcome;
        }

        /// <summary>Edits <paramref name="elf"/> in memory; <paramref name="name"/> is used in error messages.</summary>
        public static ElfPatchOutcome MarkVersionWeak(byte[] elf, string version, string name)
        {
            var found = false;
            var changed = false;
            foreach (var aux in FindVernaux(elf, version, name))
            {
                found = true;
                var flags = U16(elf, aux.FlagsOffset, name);
                if ((flags & VerFlgWeak) == 0)
                {
                    flags |= VerFlgWeak;
                    elf[aux.FlagsOffset] = (byte)flags;
                    elf[aux.FlagsOffset + 1] = (byte)(flags >> 8);
                    changed = true;
                }
            }
            if (!found) return ElfPatchOutcome.VersionNotRequired;
            return changed ? ElfPatchOutcome.Patched : ElfPatchOutcome.AlreadyWeak;
        }

        /// <summary>One version requirement: the file that provides it, its name and its flags.</summary>
        public readonly struct VersionRequirement
        {
            public VersionRequirement(string file, string version, ushort flags, long flagsOffset)
            {
                File = file; Version = version; Flags = flags; FlagsOffset = flagsOffset;
            }
            public string File { get; }
            public string Version { get; }
            public ushort Flags { get; }
            public long FlagsOffset { get; }
            public bool IsWeak => (Flags & VerFlgWeak) != 0;
        }

        /// <summary>All version requirements (Verneed/Vernaux) of an ELF64 little-endian file.</summary>
        public static List<VersionRequirement> ReadVersionRequirements(byte[] elf, string name)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new ElfFormatException($"{name}: not an ELF file (bad magic number).");
            if (elf[4] != 2) throw new ElfFormatException($"{name}: not a 64-bit ELF file (EI_CLASS={elf[4]}).");
            if (elf[5] != 1) throw new ElfFormatException($"{name}: not a little-endian ELF file (EI_DATA={elf[5]}).");

            var shoff = U64(elf, 0x28, name);
            var shentsize = U16(elf, 0x3A, name);
            var shnum = U16(elf, 0x3C, name);
            if (shoff == 0 || shnum == 0)
                throw new ElfFormatException($"{name}: ELF file has no section headers (e_shoff={shoff}, e_shnum={shnum}).");
            if (shentsize < 64)
                throw new ElfFormatException($"{name}: unexpected ELF64 section header size {shentsize} (expected 64).");
            Check(elf, shoff, (long)shentsize * shnum, name, "section header table");

            var result = new List<VersionRequirement>();
            var verneedSections = 0;
            for (var i = 0; i < shnum; i++)
            {
                var sh = shoff + (long)i * shentsize;
                if (U32(elf, sh + 4, name) != ShtGnuVerneed) continue;
                verneedSections++;
                var offset = U64(elf, sh + 24, name);
                var size = U64(elf, sh + 32, name);
                var link = U32(elf, sh + 40, name);
                var count = U32(elf, sh + 44, name); // sh_info: number of Verneed entries
                Check(elf, offset, size, name, "SHT_GNU_verneed section");
                if (link >= shnum)
                    throw new ElfFormatException($"{name}: SHT_GNU_verneed section links to string table {link}, but there are only {shnum} sections.");
                var strSh = shoff + (long)link * shentsize;
                var strOffset = U64(elf, strSh + 24, name);
                var strSize = U64(elf, strSh + 32, name);
                Check(elf, strOffset, strSize, name, "version string table");

                var need = offset;
                for (var n = 0; n < count; n++)
                {
                    if (need < offset || need + 16 > offset + size)
                        throw new ElfFormatException($"{name}: Verneed entry {n} lies outside its section.");
                    var cnt = U16(elf, need + 2, name);
                    var file = Str(elf, strOffset, strSize, U32(elf, need + 4, name), name);
                    var aux = need + U32(elf, need + 8, name);
                    for (var a = 0; a < cnt; a++)
                    {
                        if (aux < offset || aux + 16 > offset + size)
                            throw new ElfFormatException($"{name}: Vernaux entry {a} of {file} lies outside its section.");
                        var flags = U16(elf, aux + 4, name);
                        var version = Str(elf, strOffset, strSize, U32(elf, aux + 8, name), name);
                        result.Add(new VersionRequirement(file, version, flags, aux + 4));
                        var nextAux = U32(elf, aux + 12, name);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    var next = U32(elf, need + 12, name);
                    if (next == 0) break;
                    need += next;
                }
            }
            if (verneedSections == 0)
                throw new ElfFormatException($"{name}: ELF file has no SHT_GNU_verneed (.gnu.version_r) section.");
            return result;
        }

        private static IEnumerable<VersionRequirement> FindVernaux(byte[] elf, string version, string name)
        {
            foreach (var r in ReadVersionRequirements(elf, name))
                if (r.Version == version) yield return r;
        }

        /// <summary>True when the file (a libstdc++) contains the NUL-terminated string <paramref name="text"/>.</summary>
        public static bool ContainsString(string path, string text)
        {
            var needle = Encoding.ASCII.GetBytes(text + "\0");
            var data = File.ReadAllBytes(path);
            for (var i = 0; i + needle.Length <= data.Length; i++)
            {
                if (data[i] != needle[0]) continue;
                var j = 1;
                while (j < needle.Length && data[i + j] == needle[j]) j++;
                if (j == needle.Length) return true;
            }
            return false;
        }

        private static void Check(byte[] elf, long offset, long size, string name, string what)
        {
            if (offset < 0 || size < 0 || offset + size > elf.Length)
                throw new ElfFormatException($"{name}: {what} (offset {offset}, size {size}) runs past the end of the file ({elf.Length} bytes): truncated or not an ELF64 file.");
        }

        private static ushort U16(byte[] b, long o, string name) { Check(b, o, 2, name, "field"); return (ushort)(b[o] | (b[o + 1] << 8)); }
        private static uint U32(byte[] b, long o, string name) { Check(b, o, 4, name, "field"); return BitConverter.ToUInt32(b, (int)o); }
        private static long U64(byte[] b, long o, string name)
        {
            Check(b, o, 8, name, "field");
            var v = BitConverter.ToUInt64(b, (int)o);
            if (v > int.MaxValue) throw new ElfFormatException($"{name}: offset or size {v} is too large for this file.");
            return (long)v;
        }

        private static string Str(byte[] b, long tableOffset, long tableSize, uint index, string name)
        {
            if (index >= tableSize) throw new ElfFormatException($"{name}: string index {index} outside the string table ({tableSize} bytes).");
            var start = tableOffset + index;
            var end = start;
            while (end < tableOffset + tableSize && b[end] != 0) end++;
            if (end == tableOffset + tableSize) throw new ElfFormatException($"{name}: unterminated string in the string table.");
            return Encoding.ASCII.GetString(b, (int)start, (int)(end - start));
        }
    }

    /// <summary>Finds the libstdc++.so.6 the dynamic loader would pick.</summary>
    public static class SystemLibStdCxx
    {
        public static string? Locate()
        {
            var candidates = new List<string>();
            var ldPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ldPath))
                foreach (var dir in ldPath!.Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries))
                    candidates.Add(Path.Combine(dir, "libstdc++.so.6"));
            candidates.AddRange(FromLdconfigCache());
            candidates.Add("/usr/lib/x86_64-linux-gnu/libstdc++.so.6");
            candidates.Add("/lib/x86_64-linux-gnu/libstdc++.so.6");
            candidates.Add("/usr/lib64/libstdc++.so.6");
            candidates.Add("/lib64/libstdc++.so.6");
            candidates.Add("/usr/lib/libstdc++.so.6");
            foreach (var c in candidates)
                if (File.Exists(c)) return c;
            return null;
        }

        private static IEnumerable<string> FromLdconfigCache()
        {
            var found = new List<string>();
            foreach (var exe in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig" })
            {
                if (!File.Exists(exe)) continue;
                try
                {
                    var psi = new System.Diagnostics.ProcessStartInfo(exe, "-p")
                    { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                    using var p = System.Diagnostics.Process.Start(psi);
                    if (p == null) continue;
                    var output = p.StandardOutput.ReadToEnd();
                    p.WaitForExit(5000);
                    foreach (var line in output.Split('\n'))
                    {
                        var t = line.Trim();
                        if (!t.StartsWith("libstdc++.so.6 ", StringComparison.Ordinal) || !t.Contains("x86-64")) continue;
                        var arrow = t.IndexOf("=> ", StringComparison.Ordinal);
                        if (arrow > 0) found.Add(t.Substring(arrow + 3).Trim());
                    }
                }
                catch (Exception) { /* fall back to the usual folders */ }
                break;
            }
            return found;
        }
    }

#if !NASACTORS_ELF_NO_TASK
    /// <summary>
    /// MSBuild task: marks GLIBCXX_3.4.32 weak in every libLibTorchSharp.so under the given folders, when the
    /// system libstdc++ lacks that version (Mode=auto), always (Mode=always) or never (Mode=never).
    /// </summary>
    public sealed class TorchSharpNativeFixTask : Microsoft.Build.Utilities.Task
    {
        public const string Version = "GLIBCXX_3.4.32";

        [Microsoft.Build.Framework.Required]
        public string[] Folders { get; set; } = Array.Empty<string>();

        /// <summary>auto (default), always or never.</summary>
        public string? Mode { get; set; }

        public override bool Execute()
        {
            var mode = string.IsNullOrWhiteSpace(Mode) ? "auto" : Mode!.Trim().ToLowerInvariant();
            if (mode != "auto" && mode != "always" && mode != "never")
            {
                Log.LogError($"TorchSharpNativeFix='{Mode}' is not known: use auto (default), always or never.");
                return false;
            }

            var files = new List<string>();
            foreach (var folder in Folders)
                if (!string.IsNullOrEmpty(folder) && Directory.Exists(folder))
                    files.AddRange(Directory.GetFiles(folder, "libLibTorchSharp.so", SearchOption.AllDirectories));
            if (files.Count == 0) return true;

            if (mode == "never")
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                    $"TorchSharp native fix: not needed (TorchSharpNativeFix=never) for {files.Count} libLibTorchSharp.so.");
                return true;
            }
            string reason;
            if (mode == "auto")
            {
                var libstdcxx = SystemLibStdCxx.Locate();
                if (libstdcxx != null && ElfVersionPatcher.ContainsString(libstdcxx, Version))
                {
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                        $"TorchSharp native fix: not needed ({libstdcxx} provides {Version}).");
                    return true;
                }
                reason = libstdcxx == null ? "no system libstdc++.so.6 found" : $"{libstdcxx} lacks {Version}";
            }
            else reason = "TorchSharpNativeFix=always";

            var patched = new List<string>();
            var already = new List<string>();
            var notRequired = new List<string>();
            foreach (var file in files)
            {
                try
                {
                    switch (ElfVersionPatcher.MarkVersionWeak(file, Version))
                    {
                        case ElfPatchOutcome.Patched: patched.Add(file); break;
                        case ElfPatchOutcome.AlreadyWeak: already.Add(file); break;
                        default: notRequired.Add(file); break;
                    }
                }
                catch (ElfFormatException e)
                {
                    Log.LogError($"TorchSharp native fix: cannot mark {Version} weak: {e.Message} " +
                                 "Expected TorchSharp's ELF64 x86-64 libLibTorchSharp.so; set -p:TorchSharpNativeFix=never to skip.");
                    return false;
                }
                catch (IOException e)
                {
                    Log.LogError($"TorchSharp native fix: cannot rewrite {file}: {e.Message}");
                    return false;
                }
            }

            var sb = new StringBuilder("TorchSharp native fix (" + reason + "): ");
            var parts = new List<string>();
            if (patched.Count > 0) parts.Add($"patched {Version} as weak in {string.Join(", ", patched)}");
            if (already.Count > 0) parts.Add($"already patched: {string.Join(", ", already)}");
            if (notRequired.Count > 0) parts.Add($"does not require {Version}: {string.Join(", ", notRequired)}");
            sb.Append(string.Join("; ", parts)).Append('.');
            if (patched.Count > 0) sb.Append(" Why: docs/platform.md.");
            Log.LogMessage(patched.Count > 0 ? Microsoft.Build.Framework.MessageImportance.High
                                             : Microsoft.Build.Framework.MessageImportance.Normal, sb.ToString());
            return true;
        }
    }
#endif
}
