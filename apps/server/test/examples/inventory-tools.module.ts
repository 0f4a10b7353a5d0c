import { Injectable, Module } from '@nestjs/common';
import { McpTool } from '@sanctum/discovery';

@Injectable()
export class InventoryTools {
  private readonly stock = new Map([['apple', 3]]);

  @McpTool({
    namespace: 'inventory',
    name: 'count',
    description: 'How many of an item are in stock',
    inputSchema: {
      type: 'object',
      properties: { item: { type: 'string', description: 'Item name' } },
      required: ['item'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true },
  })
  count(args: Record<string, unknown>): Record<string, unknown> {
    const item = String(args['item']);
    if (!this.stock.has(item)) throw new Error(`no such item: ${item}`);
    return { item, count: this.stock.get(item) };
  }
}

@Module({ providers: [InventoryTools] })
export class InventoryModule {}
