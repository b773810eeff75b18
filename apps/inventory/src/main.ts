import 'reflect-metadata';
import './tracing'; // before anything else loads http or pg
import { runService } from '@app/platform';
import { inventoryService } from './inventory.definition';

void runService(inventoryService);
