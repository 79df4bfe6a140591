package content

import (
	"bytes"
	"html"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// BlockKind is what a Block is.
type BlockKind int

// Kinds of Block.
const (
	Paragraph BlockKind = iota
	Heading
	Item // a list item's first paragraph; its Marker is "•" or "3."
	Code // preformatted text, one Block per code block
)

// Block is one block of a Markdown text as plain text: what a layout other
// than HTML (the PDF copy of the record) shows, with the same offline
// rewriting of links and images as Render.
type Block struct {
	Kind BlockKind
	// Level is a heading's level (1 to 6), or how deep in lists a
	// paragraph or item is (0 outside any list).
	Level  int
	Marker string
	Text   string
}

// Blocks returns src as plain-text blocks: headings, paragraphs, list
// items and code, in order; emphasis is dropped, a table becomes a line
// per row with its cells joined by " | ", and raw HTML is omitted.
func (m *Markdown) Blocks(src []byte) []Block {
	doc := m.md.Parser().Parse(text.NewReader(src))
	offline(doc, src)
	var out []Block
	var block func(n ast.Node, depth int)
	children := func(n ast.Node, depth int) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			block(c, depth)
		}
	}
	block = func(n ast.Node, depth int) {
		switch n := n.(type) {
		case *ast.Heading:
			out = append(out, Block{Kind: Heading, Level: n.Level, Text: inline(n, src)})
		case *ast.Paragraph, *ast.TextBlock:
			if t := inline(n, src); t != "" {
				out = append(out, Block{Kind: Paragraph, Level: depth, Text: t})
			}
		case *ast.List:
			num := n.Start
			for item := n.FirstChild(); item != nil; item = item.NextSibling() {
				marker := "•"
				if n.IsOrdered() {
					marker = strconv.Itoa(num) + "."
					num++
				}
				c := item.FirstChild()
				first := Block{Kind: Item, Level: depth + 1, Marker: marker}
				if c != nil && (c.Kind() == ast.KindParagraph || c.Kind() == ast.KindTextBlock) {
					first.Text = inline(c, src)
					c = c.NextSibling()
				}
				out = append(out, first)
				for ; c != nil; c = c.NextSibling() {
					block(c, depth+1)
				}
			}
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			var b bytes.Buffer
			lines := n.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				b.Write(seg.Value(src))
			}
			out = append(out, Block{Kind: Code, Level: depth, Text: strings.TrimRight(b.String(), "\n")})
		case *extast.Table:
			for row := n.FirstChild(); row != nil; row = row.NextSibling() {
				var cells []string
				for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
					cells = append(cells, inline(cell, src))
				}
				out = append(out, Block{Kind: Paragraph, Level: depth, Text: strings.Join(cells, " | ")})
			}
		case *ast.ThematicBreak, *ast.HTMLBlock:
		default:
			children(n, depth)
		}
	}
	children(doc, 0)
	return out
}

// inline returns the text of n's inline children, markup dropped, line
// breaks within a paragraph read as spaces.
func inline(n ast.Node, src []byte) string {
	var b strings.Builder
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				b.WriteString(html.UnescapeString(string(c.Value(src))))
				switch {
				case c.HardLineBreak():
					b.WriteByte('\n')
				case c.SoftLineBreak():
					b.WriteByte(' ')
				}
			case *ast.String:
				if c.IsCode() {
					// The typographer's quotes and dashes, as entities.
					b.WriteString(html.UnescapeString(string(c.Value)))
				} else {
					b.Write(c.Value)
				}
			case *ast.RawHTML:
			case *extast.TaskCheckBox:
				if c.IsChecked {
					b.WriteString("[x] ")
				} else {
					b.WriteString("[ ] ")
				}
			case *extast.FootnoteLink:
				b.WriteString("[" + strconv.Itoa(c.Index) + "]")
			case *extast.FootnoteBacklink:
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}
