import type { LineItem } from '../src/contracts.js';

const parts: Array<[string, string]> = [
  ['LM358DR', 'Texas Instruments'], ['NE555P', 'Texas Instruments'], ['STM32F103C8T6', 'STMicroelectronics'],
  ['ATMEGA328P-PU', 'Microchip'], ['GRM188R71H104KA93D', 'Murata'], ['RC0603FR-0710KL', 'Yageo'],
  ['BAT54S', 'Nexperia'], ['1N4148W', 'Diodes Inc'], ['AMS1117-3.3', 'Advanced Monolithic'], ['MCP2551-I/SN', 'Microchip'],
  ['SN74HC595N', 'Texas Instruments'], ['ESP32-WROOM-32E', 'Espressif'], ['BSS138', 'onsemi'], ['TPS62160DGKR', 'Texas Instruments'],
  ['LTC3780EGN', 'Analog Devices'], ['ADS1115IDGSR', 'Texas Instruments'], ['CP2102N-A02-GQFN28', 'Silicon Labs'],
  ['W25Q128JVSIQ', 'Winbond'], ['IRLZ44NPBF', 'Infineon'], ['TLV1117LV33DCYR', 'Texas Instruments'],
  ['LMV321IDBVR', 'Texas Instruments'], ['MAX3232ESE+', 'Analog Devices'], ['PCA9685PW', 'NXP'], ['TXB0108PWR', 'Texas Instruments'],
  ['USBLC6-2SC6', 'STMicroelectronics'], ['SMBJ5.0A', 'Littelfuse'], ['CRCW060310K0FKEA', 'Vishay'], ['C0805C106K8PACTU', 'KEMET'],
  ['TAJA106K016RNJ', 'KYOCERA AVX'], ['SRR1260-100M', 'Bourns'], ['744231091', 'Wurth Elektronik'], ['ABM8-16.000MHZ-B2-T', 'Abracon'],
  ['DRV8833PWPR', 'Texas Instruments'], ['L293DD', 'STMicroelectronics'], ['MPU-6050', 'TDK InvenSense'], ['BME280', 'Bosch'],
  ['SI2302CDS-T1-GE3', 'Vishay'], ['AO3401A', 'Alpha & Omega'], ['FDN340P', 'onsemi'], ['MMBT3904LT1G', 'onsemi'],
  ['LM1117IMP-5.0', 'Texas Instruments'], ['XC6206P332MR', 'Torex'], ['HT7333-A', 'Holtek'], ['CH340G', 'WCH'],
  ['FT232RL', 'FTDI'], ['74LVC1G14GW', 'Nexperia'], ['SN65HVD230DR', 'Texas Instruments'], ['INA219AIDCNR', 'Texas Instruments'],
  ['TL431AIDBZR', 'Texas Instruments'], ['PESD5V0S1BL', 'Nexperia'],
];

/** The demo's BOM: 50 line items (the server does not own BOM data; the page does). */
export const sampleItems: LineItem[] = parts.map(([mpn, manufacturer], index) => ({
  mpn,
  manufacturer,
  quantity: [1, 2, 4, 10, 25][index % 5] ?? 1,
}));
