using System.Globalization;
using System.Net;
using System.Text;

namespace Kivi.Server.Dashboard;

/// <summary>A bar chart drawn on the server as SVG: nothing fetched from another site, no script, readable without colour (a title per bar).</summary>
internal static class SvgChart
{
    public static string Bars(string title, IReadOnlyList<(string Label, long Value)> bars, int width = 640, int height = 160)
    {
        var svg = new StringBuilder();
        long max = Math.Max(1, bars.Count == 0 ? 1 : bars.Max(b => b.Value));
        string Num(double d) => d.ToString("0.#", CultureInfo.InvariantCulture);
        // The caption is HTML (it keeps its size at any width); the bars stretch with the page.
        svg.Append(CultureInfo.InvariantCulture, $"<figcaption>{WebUtility.HtmlEncode(title)} (max {max:N0})</figcaption>");
        svg.Append(CultureInfo.InvariantCulture, $"<svg role=\"img\" aria-label=\"{WebUtility.HtmlEncode(title)}\" viewBox=\"0 0 {width} {height + 20}\" width=\"100%\" height=\"120\" preserveAspectRatio=\"none\">");
        if (bars.Count > 0)
        {
            double slot = (double)width / bars.Count, bar = Math.Max(1, slot * 0.8);
            for (int i = 0; i < bars.Count; i++)
            {
                double h = (double)bars[i].Value / max * (height - 20);
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect x=\"{Num(i * slot)}\" y=\"{Num(height - h + 20)}\" width=\"{Num(bar)}\" height=\"{Num(h)}\" fill=\"#0b57d0\"><title>{WebUtility.HtmlEncode(bars[i].Label)}: {bars[i].Value:N0}</title></rect>");
            }
        }
        svg.Append("</svg>");
        return svg.ToString();
    }
}
