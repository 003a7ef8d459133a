using System.Xml.Linq;

namespace Kivi.Core.Tests;

/// <summary>
/// The one-way rule between assemblies (docs/architecture.md): Protocol (contract and rules) &lt;- Core &lt;- Storage.*;
/// Protocol &lt;- Caching; Protocol, Caching &lt;- Client &lt;- Cli; Server uses them all; only the CLI references the
/// server, to host it through its public API; tests share code through Kivi.Testing, never by linking files.
/// </summary>
public sealed class ReferenceGraphTests
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Kivi.Protocol"] = [],
        ["Kivi.Core"] = ["Kivi.Protocol"],
        ["Kivi.Storage.Sqlite"] = ["Kivi.Core"],
        ["Kivi.Storage.Postgres"] = ["Kivi.Core"],
        ["Kivi.Caching"] = ["Kivi.Protocol"],
        ["Kivi.Client"] = ["Kivi.Protocol", "Kivi.Caching"],
        ["Kivi.Server"] = ["Kivi.Core", "Kivi.Storage.Sqlite", "Kivi.Storage.Postgres", "Kivi.Caching", "Kivi.Client"],
        ["Kivi.Cli"] = ["Kivi.Client", "Kivi.Server"],
    };

    private static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Kivi.slnx"))) return dir.FullName;
            throw new InvalidOperationException("Kivi.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    private static IEnumerable<string> Projects(string folder) =>
        Directory.GetDirectories(Path.Combine(Root, folder)).Select(d => Path.Combine(d, Path.GetFileName(d) + ".csproj")).Where(File.Exists);

    private static IEnumerable<XElement> Items(string csproj, string name) => XDocument.Load(csproj).Descendants(name);

    private static string[] References(string csproj) =>
        Items(csproj, "ProjectReference").Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/'))).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Every_assembly_references_exactly_what_the_one_way_rule_allows()
    {
        var projects = Projects("src").ToList();
        Assert.Equal(Allowed.Keys.Order(StringComparer.Ordinal), projects.Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!);
        foreach (var csproj in projects)
        {
            string name = Path.GetFileNameWithoutExtension(csproj);
            Assert.True(Allowed[name].Order(StringComparer.Ordinal).SequenceEqual(References(csproj)),
                $"{name} references {string.Join(", ", References(csproj))}; the rule allows {string.Join(", ", Allowed[name])}");
        }
    }

    [Fact]
    public void No_assembly_opens_its_internals_to_another_product_assembly()
    {
        foreach (var csproj in Projects("src"))
            foreach (var friend in Items(csproj, "InternalsVisibleTo").Select(i => i.Attribute("Include")!.Value))
                Assert.True(friend.EndsWith(".Tests", StringComparison.Ordinal) || friend == "Kivi.Benchmarks",
                    $"{Path.GetFileName(csproj)} opens its internals to {friend}: use a public API (the CLI hosts the server through KiviHost)");
    }

    [Fact]
    public void Tests_share_code_through_a_project_never_by_linking_files()
    {
        foreach (var csproj in Projects("tests"))
            Assert.DoesNotContain(Items(csproj, "Compile"), c => c.Attribute("Link") is not null || (c.Attribute("Include")?.Value.Contains("..", StringComparison.Ordinal) ?? false));
    }
}
