namespace EtlFast.Cli;

internal sealed partial class Progress
{
    /// <summary>Redraws the block in place: the headline, then each table's rows, wrapped to the terminal's width.</summary>
    private void Redraw(Counts c)
    {
        int width = TerminalWidth();
        var lines = new List<string> { Clip(Headline(c), width) };
        string line = "";
        for (int t = 0; t < _tables.Length; t++)
        {
            string item = $"  {_tables[t]} {c.TableRows[t]:N0}";
            if (line.Length > 0 && line.Length + item.Length > width - 1)
            {
                lines.Add(line);
                line = "";
            }
            line += item;
        }
        if (line.Length > 0)
        {
            lines.Add(Clip(line, width));
        }
        Erase();
        _ctx.Err.Write(string.Join('\n', lines));
        _drawnLines = lines.Count;
    }

    /// <summary>Removes the drawn block: back to its first line, then clear to the end of the screen.</summary>
    private void Erase()
    {
        if (_drawnLines == 0)
        {
            return;
        }
        _ctx.Err.Write(_drawnLines > 1 ? $"\r\u001b[{_drawnLines - 1}A\u001b[J" : "\r\u001b[J");
        _drawnLines = 0;
    }

    /// <summary>A line longer than the terminal would wrap and break the count of lines to move up.</summary>
    private static string Clip(string line, int width) => line.Length < width ? line : line[..Math.Max(1, width - 1)];

    private static int TerminalWidth()
    {
        try
        {
            int w = Console.WindowWidth;
            return w >= 20 ? w : 80;
        }
        catch (IOException)
        {
            return 80;
        }
        catch (PlatformNotSupportedException)
        {
            return 80;
        }
    }
}
